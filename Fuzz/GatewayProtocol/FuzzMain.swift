// libFuzzer entry for the gateway framer and parser (scripts/fuzz-gateway-protocol.sh builds
// it from GatewayProtocol's XMLFramer/XMLParser/GatewayErrors sources only, outside SwiftPM,
// so the normal build never pays for the fuzzer runtime).
//
// Oracles beyond "does not crash": the framer and the parser accept the same language (an
// element the framer hands over never fails to parse), and how the input is split into reads
// does not change the outcome.

/// Counts events; the parser's work is what is fuzzed, not the handler's.
struct CountingHandler: XMLElementHandler {
    var events = 0
    mutating func startElement(name: UnsafeRawBufferPointer, attributes: XMLAttributes, depth: Int) throws(GatewayStreamError) {
        for index in 0..<attributes.count { _ = attributes.decodedValue(at: index) }
        events += 1
    }
    mutating func endElement(depth: Int) { events += 1 }
}

/// What a stream came to: the elements found (offset, length, events) and how it ended.
struct Outcome: Equatable {
    var items: [[Int]] = []
    var error: GatewayStreamError?
    var pending = 0
}

/// Feeds `bytes` to a framer in reads of the sizes `splits` yields.
func run(_ bytes: UnsafeRawBufferPointer, splits: (Int) -> Int) -> Outcome {
    var framer = XMLFramer(maxElementBytes: 4096, maxDepth: 8)
    var outcome = Outcome()
    var offset = 0
    var end = 0
    var read = 0
    while end < bytes.count {
        end = min(bytes.count, end + max(1, splits(read)))
        read += 1
        do {
            scanning: while true {
                switch try framer.scan(UnsafeRawBufferPointer(rebasing: bytes[offset..<end])) {
                case .needMore: break scanning
                case .skip(let count):
                    check(count > 0 && offset + count <= end, "skip out of range")
                    offset += count
                case .element(let length):
                    check(length > 0 && offset + length <= end, "element out of range")
                    var handler = CountingHandler()
                    do {
                        try framer.parseElement(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)]), handler: &handler)
                    } catch {
                        fatalError("framer passed an element the parser refuses: \(error)")
                    }
                    outcome.items.append([offset, length, handler.events])
                    offset += length
                }
            }
        } catch {
            outcome.error = error
            return outcome
        }
    }
    outcome.pending = end - offset
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    // The first byte seeds the read sizes; the rest is the stream.
    let seed = Int(data[0])
    let bytes = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let whole = run(bytes) { _ in bytes.count }
    let split = run(bytes) { read in 1 + (seed &* 31 &+ read &* 17) % 7 }
    check(whole.items == split.items, "elements differ between whole and split reads: \(whole.items) vs \(split.items)")
    check(whole.error?.code == split.error?.code, "outcome differs: \(String(describing: whole.error)) vs \(String(describing: split.error))")
    return 0
}

/// A failed oracle, with its message kept in optimised builds (precondition drops it).
func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
