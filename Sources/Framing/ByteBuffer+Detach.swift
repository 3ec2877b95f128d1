import NIOCore

extension ByteBuffer {
    /// Moves the unread bytes (the start of a frame) into storage of their own.
    ///
    /// Frames handed on are slices of the read's storage and live on in the pipeline. Left in that
    /// storage, the rest would keep the whole read alive, and appending the next read to it (as
    /// `ByteToMessageHandler` does) would copy the whole shared storage (copy on write) every time;
    /// alone, it costs one copy of a partial frame, and the next bytes are appended to it in place.
    package mutating func detachUnreadBytes() {
        guard readableBytes > 0 else { return }
        var rest = ByteBufferAllocator().buffer(capacity: readableBytes)
        rest.writeImmutableBuffer(self)
        self = rest
    }
}
