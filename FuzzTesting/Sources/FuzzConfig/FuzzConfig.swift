import SluiceConfig

/// Any text as a td-agent configuration: a configuration or problems naming lines, never a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        _ = try SluiceConfiguration.parse(text: text, file: "/nonexistent-sluice-fuzz/td-agent.conf", environment: ["HOME": "/nonexistent"], hostname: "fuzz")
    } catch {
        precondition(!error.problems.isEmpty, "an error without problems")
    }
    return 0
}
