import Testing

@testable import AdminApp

@Suite struct MailServerSettingsTests {
    @Test(arguments: ["smtp://mail.example.com", "smtp://mail.example.com:587", "smtps://mail-1.example.com:465", "smtp://10.0.0.5:25", "smtps://[::1]:465", "smtp://[fe80::1]"])
    func acceptedServers(url: String) {
        #expect(MailServerSettings.isServerURL(url))
    }

    @Test(arguments: [
        "http://mail.example.com", "smtp://", "smtp://:25", "smtp://mail example.com", "smtp://mail.example.com:0", "smtp://mail.example.com:99999",
        "smtp://[::1", "smtp://[::1]x", "smtp://a:b:25", "smtp://user@mail.example.com", "smtp://mail.example.com/path", "smtp://[mail.example.com]:25",
    ])
    func refusedServers(url: String) {
        #expect(!MailServerSettings.isServerURL(url))
    }
}
