/// Parses one syslog frame (a UDP datagram, or one frame cut by the TCP
/// framing decoder) into a ``SyslogMessage``.
///
/// Pure and synchronous: no Foundation, no allocation on the parse path; every
/// field is a byte range into the frame. What it accepts, and how fields are
/// cut, follows Fluentd's `in_syslog` with `parser_syslog`'s `string` engine, so
/// that records match td-agent's byte for byte; where Fluentd's behaviour is
/// undefined (it crashes or cannot parse), the RFCs are followed. Where real
/// senders stray from the RFCs (no hostname, bracketed tags, Cisco IOS headers,
/// byte order marks), Sluice reads them as rsyslog does, which is what those
/// senders are tested against, even where td-agent would store something else;
/// each such rule is described in the file that parses it. Where that differs
/// from other implementations' test suites, the case is listed, with its
/// reason, in `documentedDifferences` in Tests/SyslogProtocolTests/ConformanceTests.swift.
public struct SyslogParser: Sendable {
    public struct Configuration: Sendable {
        /// Fluentd's `message_format`. Default `.auto`: RFC 5424 when the frame
        /// starts `<PRI>VERSION SP`, RFC 3164 otherwise.
        public var format: SyslogFormat
        /// The zone of RFC 3164 stamps, which carry none, as seconds east of UTC.
        /// Default 0 (UTC), unlike Fluentd which uses the host's local zone: a
        /// collector's output should not depend on the machine it runs on.
        public var utcOffsetSeconds: Int32
        /// Fluentd's `support_colonless_ident` (default true): in RFC 3164, the word
        /// after the host is the ident even without a `:` (`host sshd[12] msg`).
        public var supportColonlessIdent: Bool

        public init(format: SyslogFormat = .auto, utcOffsetSeconds: Int32 = 0, supportColonlessIdent: Bool = true) {
            self.format = format
            self.utcOffsetSeconds = utcOffsetSeconds
            self.supportColonlessIdent = supportColonlessIdent
        }
    }

    public var configuration: Configuration

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Parses `frame`.
    ///
    /// - Parameter now: Unix seconds of reception. RFC 3164 stamps carry no year;
    ///   it is the current year at `now` in the configured zone, except that a
    ///   December stamp received in January is last year's and a January stamp
    ///   received in December next year's (as Vector's `resolve_year`).
    /// - Throws: ``SyslogParseError`` for a frame that is not syslog; the caller
    ///   keeps the raw frame as an unmatched line.
    @inlinable
    public func parse(_ frame: UnsafeRawBufferPointer, now: Int64) throws(SyslogParseError) -> SyslogMessage {
        try _parse(FrameBytes(frame), at: receptionTime(now))
    }

    /// Parses `frame` received at `time`, made by ``receptionTime(_:)`` once for a batch of frames.
    @inlinable
    public func parse(_ frame: UnsafeRawBufferPointer, at time: ReceptionTime) throws(SyslogParseError) -> SyslogMessage {
        try _parse(FrameBytes(frame), at: time)
    }

    /// The reception time `now` (Unix seconds) in this parser's zone, for ``parse(_:at:)``.
    @inlinable
    public func receptionTime(_ now: Int64) -> ReceptionTime {
        ReceptionTime(seconds: now, utcOffsetSeconds: Int64(configuration.utcOffsetSeconds))
    }

    /// Convenience for tests and tools; the pipeline passes a buffer pointer.
    public func parse(_ frame: [UInt8], now: Int64) throws(SyslogParseError) -> SyslogMessage {
        let result = frame.withUnsafeBytes { buffer in
            Result { () throws(SyslogParseError) -> SyslogMessage in try parse(buffer, now: now) }
        }
        return try result.get()
    }

    @usableFromInline
    func _parse(_ frame: FrameBytes, at now: ReceptionTime) throws(SyslogParseError) -> SyslogMessage {
        let (priority, headerStart) = try Self.parsePriority(frame)
        let facility = SyslogFacility(uncheckedRawValue: priority >> 3)
        let severity = SyslogSeverity(uncheckedRawValue: priority & 7)
        let useRFC5424: Bool
        switch configuration.format {
        case .rfc3164: useRFC5424 = false
        case .rfc5424: useRFC5424 = true
        case .auto: useRFC5424 = Self.startsWithVersion(frame, at: headerStart)
        }
        if useRFC5424 {
            return try parseRFC5424(frame, from: headerStart, facility: facility, severity: severity)
        }
        return try parseRFC3164(frame, from: headerStart, facility: facility, severity: severity, now: now)
    }

    /// The PRI at the start of `bytes` and the offset just after its `>`, as `parse` reads it: for
    /// sources that keep the rest of the line unparsed (`<parse> @type none`).
    public static func priority(of bytes: UnsafeRawBufferPointer) throws(SyslogParseError) -> (priority: Int, rest: Int) {
        let (priority, rest) = try parsePriority(FrameBytes(bytes))
        return (Int(priority), rest)
    }

    /// `<PRI>`: 1-3 digits, at most 191. Leading zeros are accepted, as Fluentd's
    /// `[0-9]{1,3}` does. Returns the PRI and the offset just after `>`.
    ///
    /// A UTF-8 BOM before `<` is skipped: some Windows forwarders write the BOM
    /// first and the whole frame after it, and the frame is otherwise well formed.
    @inline(__always)
    static func parsePriority(_ frame: FrameBytes) throws(SyslogParseError) -> (UInt8, Int) {
        var open = 0
        if frame.count > 0, frame[0] != UInt8(ascii: "<"), frame.startsWithBOM(at: 0) {
            open = 3
        }
        guard open < frame.count, frame[open] == UInt8(ascii: "<") else {
            throw SyslogParseError(code: .missingPriority, offset: open)
        }
        var value = 0
        var index = open + 1
        while index < frame.count, index <= open + 4 {
            let byte = frame[index]
            if byte == UInt8(ascii: ">") {
                guard index > open + 1, value <= 191 else { break }
                return (UInt8(value), index + 1)
            }
            guard let digit = byte.asciiDigit, index <= open + 3 else { break }
            value = value * 10 + digit
            index += 1
        }
        throw SyslogParseError(code: .invalidPriority, offset: index)
    }

    /// Whether an RFC 5424 VERSION (1-999, no leading zero) and a space follow the PRI.
    @inline(__always)
    static func startsWithVersion(_ frame: FrameBytes, at start: Int) -> Bool {
        guard start < frame.count, let first = frame[start].asciiDigit, first != 0 else { return false }
        var index = start + 1
        while index < frame.count, index < start + 4 {
            let byte = frame[index]
            if byte == UInt8(ascii: " ") { return true }
            guard byte.asciiDigit != nil else { return false }
            index += 1
        }
        return index < frame.count && frame[index] == UInt8(ascii: " ")
    }
}
