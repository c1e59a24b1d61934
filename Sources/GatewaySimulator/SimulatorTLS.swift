import NIOCore
import NIOSSL

/// TLS for the simulated gateways (`--tls`): the CA that signs the server's certificate
/// and, for mutual TLS, a client certificate and key. The client certificate names one
/// gateway, so with mutual TLS run one gateway per certificate (`--gateways 1`) or give all
/// of them a certificate naming `PREFIX00000`... as the server allows.
public struct SimulatorTLS: Sendable {
    let context: NIOSSLContext

    /// PEM files; `caFile` nil trusts the system's roots. The server name checked is the
    /// `--target` host (a DNS name or an IP address in the certificate's SAN).
    public init(caFile: String?, certificateFile: String? = nil, keyFile: String? = nil) throws {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let caFile { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) }
        if let certificateFile, let keyFile {
            configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) }
            configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem))
        }
        context = try NIOSSLContext(configuration: configuration)
    }

    /// The client handler for a connection to `host`: SNI and name check for a DNS name,
    /// address check (no SNI) for an IP literal.
    func handler(host: String) throws -> NIOSSLClientHandler {
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
    }
}
