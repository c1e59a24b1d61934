import GatewayProtocol
import NIOSSL
import X509

/// Who a connection's client certificate says it is, once mutual TLS verified it against
/// the client CA: the gateway ids it names (its common name and its DNS SANs, those that
/// are valid ids). It authenticates reports of those gateways instead of a key.
///
/// The one place the session code learns of TLS: ``IngestConnectionHandler`` sets it at
/// handshake and hands it to ``GatewayAuthenticator/check(gateway:key:identity:)``, where
/// gateway registration (expected certificate, disabled gateways) can be tied in.
public struct VerifiedGatewayIdentity: Sendable, Hashable, CustomStringConvertible {
    /// Gateway ids the certificate names.
    public var gatewayIDs: Set<String>

    public init(gatewayIDs: Set<String>) {
        self.gatewayIDs = gatewayIDs
    }

    /// Whether reports of `gateway` are authenticated by this certificate.
    public func names(_ gateway: String) -> Bool { gatewayIDs.contains(gateway) }

    public var description: String { gatewayIDs.sorted().joined(separator: ",") }

    /// The identity in a verified peer certificate; nil when it names no valid gateway id.
    init?(certificate: NIOSSLCertificate) {
        guard let der = try? certificate.toDERBytes(), let parsed = try? Certificate(derEncoded: der) else { return nil }
        var ids: Set<String> = []
        for rdn in parsed.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let text = String(attribute.value), Self.isGatewayID(text) { ids.insert(text) }
            }
        }
        if let names = try? parsed.extensions.subjectAlternativeNames {
            for case .dnsName(let name) in names where Self.isGatewayID(name) { ids.insert(name) }
        }
        guard !ids.isEmpty else { return nil }
        gatewayIDs = ids
    }

    private static func isGatewayID(_ text: String) -> Bool {
        Array(text.utf8).withUnsafeBytes { GatewayValues.isValidID($0) }
    }
}
