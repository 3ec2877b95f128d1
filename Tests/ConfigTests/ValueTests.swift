import Testing

@testable import SluiceConfig

@Suite struct ValueTests {
    @Test(arguments: [
        ("0", 0), ("8192", 8192), ("10k", 10240), ("10K", 10240), ("256m", 256 << 20), ("8M", 8 << 20),
        ("1g", 1 << 30), ("64G", 64 << 30), ("1t", 1 << 40),
        // As real configurations write them, and Fluentd reads them.
        ("768MB", 768 << 20), ("1G", 1 << 30), ("1kb", 1024), ("10 k", 10240), ("8MiB", 8 << 20), ("1.5m", 1_572_864),
        (" 512 ", 512),
    ])
    func sizes(text: String, bytes: Int) {
        #expect(ConfigValue.size(text) == bytes)
    }

    @Test(arguments: ["", "k", "1x", "-1", "b", "1b", "1.5", "1..5m", "99999999999999999999", "9000000000t"])
    func badSizes(text: String) {
        #expect(ConfigValue.size(text) == nil)
    }

    @Test(arguments: [
        ("30", Duration.seconds(30)), ("30s", .seconds(30)), ("60m", .seconds(3600)), ("1h", .seconds(3600)),
        ("1d", .seconds(86400)), ("0.5", .milliseconds(500)), ("1.5", .milliseconds(1500)), ("72h", .seconds(259_200)),
        ("0", .zero),
    ])
    func times(text: String, duration: Duration) {
        #expect(ConfigValue.time(text) == duration)
    }

    @Test(arguments: ["", "1x", "h", "1.", ".5", "-1", "1hh", "1 h", "1w"])
    func badTimes(text: String) {
        #expect(ConfigValue.time(text) == nil)
    }

    @Test(arguments: [("true", true), ("yes", true), ("", true), ("false", false), ("no", false)])
    func bools(text: String, value: Bool) {
        #expect(ConfigValue.bool(text) == value)
    }

    @Test(arguments: ["TRUE", "1", "0", "on", "off", "y"])
    func badBools(text: String) {
        #expect(ConfigValue.bool(text) == nil)
    }

    @Test(arguments: [("42", 42), ("-7", -7), ("+3", 3), ("0", 0)])
    func integers(text: String, value: Int) {
        #expect(ConfigValue.integer(text) == value)
    }

    @Test(arguments: ["", "4.2", "0x10", "1e3", "- 1", "12a"])
    func badIntegers(text: String) {
        #expect(ConfigValue.integer(text) == nil)
    }

    @Test(arguments: [
        ("+09:00", 32400), ("-0500", -18000), ("+09", 32400), ("UTC", 0), ("Z", 0), ("GMT", 0), ("+05:30", 19800),
        ("-00:00", 0),
    ])
    func offsets(text: String, seconds: Int) {
        #expect(ConfigValue.utcOffset(text) == seconds)
    }

    @Test(arguments: ["", "09:00", "+9", "+24:00", "+09:60", "Asia/Tokyo", "+0:900", "+09:0"])
    func badOffsets(text: String) {
        #expect(ConfigValue.utcOffset(text) == nil)
    }
}
