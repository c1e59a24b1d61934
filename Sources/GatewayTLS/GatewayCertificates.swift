import Crypto
import SwiftASN1
import FoundationEssentials
import X509

/// A certificate and its private key, PEM text. The key is a secret: it goes to a file in the
/// provider's secrets volume (or a test's temporary directory), never to a log or argv.
public struct PEMPair: Sendable, Hashable {
    public var certificate: String
    public var privateKey: String

    public init(certificate: String, privateKey: String) {
        self.certificate = certificate
        self.privateKey = privateKey
    }
}

/// A provider's gateway certificate authority: it signs the ingest server's certificate
/// (gateways trust the CA, printed by `tenantctl gateway-ca`) and, for mutual TLS, gateway
/// certificates whose common name and SAN are the gateway id. P-256 ECDSA throughout:
/// small keys, fast handshakes, supported by every TLS 1.2 stack a gateway may have.
public struct GatewayCertificateAuthority: Sendable {
    public let pem: PEMPair
    private let certificate: Certificate
    private let key: P256.Signing.PrivateKey

    /// A new authority named after `name` (the provider id), valid for `years`.
    public init(name: String, years: Int = 10, now: Date = Date()) throws {
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName("tenantctl")
            CommonName("\(name) gateway CA")
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + Double(years) * 365 * 86_400, issuer: subject, subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(key.publicKey))
            },
            issuerPrivateKey: .init(key))
        self.key = key
        self.certificate = certificate
        self.pem = PEMPair(certificate: try certificate.serializeAsPEM().pemString, privateKey: key.pemRepresentation)
    }

    /// The authority kept in `pem` (from the secrets volume).
    public init(pem: PEMPair) throws {
        self.certificate = try Certificate(pemEncoded: pem.certificate)
        self.key = try P256.Signing.PrivateKey(pemRepresentation: pem.privateKey)
        guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
            throw GatewayCertificateError("the CA key does not belong to the CA certificate")
        }
        self.pem = pem
    }

    /// The ingest server's certificate for `hosts` (DNS names or IP addresses gateways dial).
    public func issueServer(hosts: [String], days: Int = 825, now: Date = Date()) throws -> PEMPair {
        let names = hosts.map { host -> GeneralName in
            if let address = IPAddressBytes(host) { return .ipAddress(ASN1OctetString(contentBytes: address[...])) }
            return .dnsName(host)
        }
        return try issue(commonName: hosts.first ?? "tenant-ingest", names: names, usage: .serverAuth, days: days, now: now)
    }

    /// A gateway's client certificate: common name and DNS SAN are `gatewayID`.
    public func issueGateway(_ gatewayID: String, days: Int = 825, now: Date = Date()) throws -> PEMPair {
        try issue(commonName: gatewayID, names: [.dnsName(gatewayID)], usage: .clientAuth, days: days, now: now)
    }

    private func issue(commonName: String, names: [GeneralName], usage: ExtendedKeyUsage.Usage, days: Int, now: Date) throws -> PEMPair {
        let leafKey = P256.Signing.PrivateKey()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(leafKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + Double(days) * 86_400, issuer: self.certificate.subject,
            subject: try DistinguishedName { CommonName(commonName) }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([usage])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(key))
        return PEMPair(certificate: try certificate.serializeAsPEM().pemString, privateKey: leafKey.pemRepresentation)
    }
}

/// Why certificate material cannot be used.
public struct GatewayCertificateError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Four (IPv4) or sixteen (IPv6) address bytes of a literal, nil for a name.
private func IPAddressBytes(_ text: String) -> [UInt8]? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    if parts.count == 4 {
        let bytes = parts.compactMap { UInt8($0) }
        return bytes.count == 4 ? bytes : nil
    }
    if text == "::1" { return Array(repeating: 0, count: 15) + [1] }
    return nil
}
