import NIOCore
import NIOSSL

/// Whether the gateway port speaks TLS. Protocol v1 bytes are the same inside TLS.
public enum GatewayTLSMode: String, Sendable, CaseIterable {
    /// Plain TCP only.
    case off
    /// Both on the same port: a connection whose first byte is a TLS handshake record (0x16)
    /// gets TLS, one that starts with `<` (or whitespace) stays plain; for fleets of gateways
    /// that cannot all be upgraded at once.
    case optional
    /// TLS only: a plain connection fails the handshake and is closed.
    case required
}

/// TLS on the gateway port: the server's certificate and key, and optionally the CA that
/// signs gateways' client certificates (mutual TLS). Files are read once, at start.
public struct IngestTLS: Sendable {
    public var mode: GatewayTLSMode
    /// Client certificates are asked for and verified against the client CA; a gateway
    /// that sends none authenticates with its key as before.
    public var verifiesClients: Bool
    let context: NIOSSLContext

    /// Loads PEM files: the certificate chain (server first), its private key, and the
    /// client CA bundle for mutual TLS. TLS 1.2 and 1.3; the error names the file.
    public init(mode: GatewayTLSMode, certificateFile: String, keyFile: String, clientCAFile: String? = nil) throws(IngestTLSError) {
        let chain: [NIOSSLCertificate]
        do { chain = try NIOSSLCertificate.fromPEMFile(certificateFile) } catch {
            throw IngestTLSError("cannot read certificate file \(certificateFile): \(error)")
        }
        guard !chain.isEmpty else { throw IngestTLSError("no certificate in \(certificateFile)") }
        let key: NIOSSLPrivateKey
        do { key = try NIOSSLPrivateKey(file: keyFile, format: .pem) } catch {
            // Never the key's content: only its path.
            throw IngestTLSError("cannot read private key file \(keyFile): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCAFile {
            let authorities: [NIOSSLCertificate]
            do { authorities = try NIOSSLCertificate.fromPEMFile(clientCAFile) } catch {
                throw IngestTLSError("cannot read client CA file \(clientCAFile): \(error)")
            }
            guard !authorities.isEmpty else { throw IngestTLSError("no certificate in \(clientCAFile)") }
            configuration.trustRoots = .certificates(authorities)
            // Verified when presented; gateways without one still use keys.
            configuration.certificateVerification = .optionalVerification
            configuration.sendCANameList = true
        }
        do { context = try NIOSSLContext(configuration: configuration) } catch {
            throw IngestTLSError("cannot use \(certificateFile) with \(keyFile): \(error)")
        }
        self.mode = mode
        self.verifiesClients = clientCAFile != nil
    }

    /// Adds what `mode` needs in front of the protocol handlers of a new connection.
    func configure(_ pipeline: ChannelPipeline.SynchronousOperations) throws {
        switch mode {
        case .off: return
        case .required: try pipeline.addHandler(NIOSSLServerHandler(context: context))
        case .optional: try pipeline.addHandler(TLSSniffingHandler(context: context))
        }
    }
}

/// A TLS setting that cannot be used; names files, never their content.
public struct IngestTLSError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// `--tls optional`: looks at the first byte of a connection. A TLS record starts with 0x16
/// (handshake), which no protocol v1 stream can start with (`<`, whitespace): the TLS
/// handler goes in after this one, and either way this one leaves the pipeline.
final class TLSSniffingHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let context: NIOSSLContext

    init(context: NIOSSLContext) {
        self.context = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        if first == 0x16 {
            do {
                try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: self.context), position: .after(self))
            } catch {
                context.fireErrorCaught(error)
                return
            }
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
