#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials
import Synchronization

/// Process-wide counters exported on `/metrics`.
final class AdminMetrics: Sendable {
    private let responses = Mutex<[Int: Int]>([:])
    let loginFailures = Atomic<Int>(0)

    func count(status: Int) {
        responses.withLock { $0[status / 100, default: 0] += 1 }
    }

    var responsesByClass: [Int: Int] { responses.withLock { $0 } }

    /// Resident set size from /proc (Linux); nil elsewhere.
    static var residentBytes: Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
