import CCurlLoader
import Dispatch
import FoundationEssentials

/// Where and how to deliver mail.
public struct SMTPConfiguration: Sendable, Hashable, Codable {
    /// `smtp://host[:port]` (STARTTLS when offered, or required with ``requireTLS``)
    /// or `smtps://host[:port]` (TLS from the first byte).
    public var url: String
    public var username: String?
    public var password: String?
    /// The envelope and header sender.
    public var from: String
    /// Refuse to send over `smtp://` unless the server accepts STARTTLS.
    public var requireTLS: Bool

    public init(url: String, username: String? = nil, password: String? = nil, from: String, requireTLS: Bool = false) {
        self.url = url
        self.username = username
        self.password = password
        self.from = from
        self.requireTLS = requireTLS
    }
}

/// Something that delivers a rendered message; the outbox processor's only dependency
/// on the network, so tests can swap it.
public protocol MailTransport: Sendable {
    /// Delivers `message` to `recipients`; throws when the server did not accept it.
    func send(_ message: String, from: String, to recipients: [String]) async throws
}

/// A delivery failure, with curl's reason (never credentials).
public struct MailError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// SMTP through libcurl. Each delivery runs `curl_easy_perform` on a dedicated serial
/// queue: it blocks, so it must stay off the event loops and the cooperative pool.
public struct CurlSMTPTransport: MailTransport {
    public let configuration: SMTPConfiguration
    private let queue = DispatchQueue(label: "tenant-mailer.smtp")

    public init(configuration: SMTPConfiguration) {
        self.configuration = configuration
    }

    public func send(_ message: String, from: String, to recipients: [String]) async throws {
        guard !recipients.isEmpty else { throw MailError("no recipients") }
        let configuration = self.configuration
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            queue.async {
                continuation.resume(with: Result { try Self.perform(configuration, message: message, from: from, to: recipients) })
            }
        }
    }

    private final class Upload {
        let bytes: [UInt8]
        var offset = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    /// Delivers synchronously on the calling thread (which it blocks for up to a minute).
    public static func perform(_ config: SMTPConfiguration, message: String, from: String, to recipients: [String]) throws {
        // libcurl is loaded the first time a mail goes out, not when the app starts.
        if let failure = tcl_load() { throw MailError(String(cString: failure)) }
        guard let handle = tcl_easy_init() else { throw MailError("cannot initialise libcurl") }
        defer { tcl_easy_cleanup(handle) }
        var list: UnsafeMutablePointer<curl_slist>?
        for recipient in recipients { list = tcl_slist_append(list, "<\(recipient)>") }
        defer { tcl_slist_free_all(list) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        let upload = Upload(Array(message.utf8))
        let uploadPointer = Unmanaged.passRetained(upload)
        defer { uploadPointer.release() }

        var rc = CURLE_OK
        func set(_ code: CURLcode) { if rc == CURLE_OK { rc = code } }
        set(tcl_setopt_string(handle, CURLOPT_URL, config.url))
        set(tcl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(from)>"))
        set(tcl_setopt_slist(handle, CURLOPT_MAIL_RCPT, list))
        set(tcl_setopt_long(handle, CURLOPT_UPLOAD, 1))
        set(tcl_setopt_long(handle, CURLOPT_USE_SSL, config.requireTLS ? Int(CURLUSESSL_ALL.rawValue) : Int(CURLUSESSL_TRY.rawValue)))
        set(tcl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, 10))
        set(tcl_setopt_long(handle, CURLOPT_TIMEOUT, 60))
        set(tcl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set(tcl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        if let user = config.username { set(tcl_setopt_string(handle, CURLOPT_USERNAME, user)) }
        if let password = config.password { set(tcl_setopt_string(handle, CURLOPT_PASSWORD, password)) }
        set(tcl_setopt_pointer(handle, CURLOPT_READDATA, uploadPointer.toOpaque()))
        set(tcl_setopt_data_callback(handle, CURLOPT_READFUNCTION) { buffer, size, count, userdata in
            guard let buffer, let userdata else { return 0 }
            let upload = Unmanaged<Upload>.fromOpaque(userdata).takeUnretainedValue()
            let n = min(size * count, upload.bytes.count - upload.offset)
            upload.bytes.withUnsafeBufferPointer { source in
                UnsafeMutableRawPointer(buffer).copyMemory(from: source.baseAddress! + upload.offset, byteCount: n)
            }
            upload.offset += n
            return n
        })
        guard rc == CURLE_OK else { throw MailError("smtp setup failed: \(String(cString: tcl_easy_strerror(rc)))") }
        let result = tcl_easy_perform(handle)
        guard result == CURLE_OK else {
            let detail = String(cString: errorBuffer)
            let reason = detail.isEmpty ? String(cString: tcl_easy_strerror(result)) : detail
            throw MailError("smtp delivery failed: \(reason)")
        }
    }
}
