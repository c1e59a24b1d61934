import Logging
import TenantSealing
import TenantStorage

/// The settings that are secrets (the provider's own mail server password), sealed in the
/// store with the provider's settings key (``SettingsSealer``) and opened on read. Kept apart
/// from the stores, which store strings and know nothing of keys.
///
/// Without a key (tenant-admin run by hand without `TENANT_SETTINGS_KEY_FILE`) values stay
/// plain text, with a warning at start. A sealed value that does not open (another key, an
/// altered row) reads as unset and is logged: staff enter the password again.
struct SettingsSecrets: Sendable {
    /// Settings keys whose values are secrets.
    static let names: [String] = [MailServerSettings.Key.password]

    let sealer: SettingsSealer?
    let logger: Logger

    /// `stored` with every secret opened (unset when it cannot be).
    func open(_ stored: [String: String]) -> [String: String] {
        var values = stored
        for name in Self.names {
            guard let value = stored[name], SettingsSealer.isSealed(value) else { continue }
            guard let sealer else {
                logger.warning("a stored secret is sealed but no settings key is given (TENANT_SETTINGS_KEY_FILE)", metadata: ["setting": "\(name)"])
                values[name] = ""
                continue
            }
            do { values[name] = try sealer.open(value, name: name) } catch {
                logger.warning("a stored secret does not open: enter it again", metadata: ["setting": "\(name)", "error": "\(error)"])
                values[name] = ""
            }
        }
        return values
    }

    /// `values` as they are stored: secrets sealed when there is a key.
    func seal(_ values: [String: String]) throws -> [String: String] {
        guard let sealer else { return values }
        var sealed = values
        for name in Self.names {
            guard let value = values[name], !value.isEmpty, !SettingsSealer.isSealed(value) else { continue }
            sealed[name] = try sealer.seal(value, name: name)
        }
        return sealed
    }

    /// Seals the plain-text secrets a store holds from before sealing (on start); returns how
    /// many were sealed.
    @discardableResult
    func sealPlainValues(in store: any SettingsStore) async throws -> Int {
        guard sealer != nil else {
            logger.warning("no settings key (TENANT_SETTINGS_KEY_FILE): secrets in the store stay plain text")
            return 0
        }
        let stored = try await store.settings()
        let plain = Self.names.filter { name in stored[name].map { !$0.isEmpty && !SettingsSealer.isSealed($0) } ?? false }
        guard !plain.isEmpty else { return 0 }
        try await store.setSettings(try seal(Dictionary(uniqueKeysWithValues: plain.map { ($0, stored[$0]!) })))
        logger.info("sealed plain-text secrets in the store", metadata: ["settings": "\(plain.joined(separator: ","))"])
        return plain.count
    }
}
