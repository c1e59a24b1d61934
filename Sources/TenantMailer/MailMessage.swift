import FoundationEssentials
import TenantTime

/// A mail with a plain-text and an HTML part, rendered as RFC 5322 / MIME
/// `multipart/alternative` (text first, so clients that prefer HTML pick the last part).
public struct MailMessage: Sendable, Hashable {
    public var from: String
    public var to: [String]
    public var subject: String
    public var text: String
    public var html: String
    /// Stable per logical mail, so that a receiving server can drop a resend.
    public var messageID: String
    public var date: Date

    public init(from: String, to: [String], subject: String, text: String, html: String, messageID: String, date: Date) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
    }

    /// The message as sent over SMTP: CRLF line ends, bodies base64 in UTF-8.
    public func rendered(boundary: String = "=_tenantctl_" + UUID().uuidString) -> String {
        var lines: [String] = [
            "From: \(Self.headerSafe(from))",
            "To: \(to.map(Self.headerSafe).joined(separator: ", "))",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(Timestamp.rfc5322(Int64((date.timeIntervalSince1970 * 1000).rounded(.down))))",
            "Message-ID: <\(Self.headerSafe(messageID))>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
            "This is a multi-part message in MIME format.",
        ]
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            lines += [
                "--\(boundary)",
                "Content-Type: \(type); charset=utf-8",
                "Content-Transfer-Encoding: base64",
                "",
            ]
            lines += Self.base64Lines(body)
        }
        lines.append("--\(boundary)--")
        lines.append("")
        return lines.joined(separator: "\r\n")
    }

    /// Header values must not carry line breaks (header injection).
    static func headerSafe(_ value: String) -> String {
        String(value.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }.map(Character.init))
    }

    /// RFC 2047 encoded word for non-ASCII subjects.
    static func encodedWord(_ value: String) -> String {
        let safe = headerSafe(value)
        if safe.unicodeScalars.allSatisfy({ $0.isASCII }) { return safe }
        return "=?utf-8?B?\(Data(safe.utf8).base64EncodedString())?="
    }

    static func base64Lines(_ body: String) -> [String] {
        let encoded = Data(body.utf8).base64EncodedString()
        var lines: [String] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        return lines
    }
}
