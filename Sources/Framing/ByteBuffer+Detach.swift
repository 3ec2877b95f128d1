import NIOCore

extension ByteBuffer {
    /// Moves the unread bytes (the start of a frame) into storage of their own.
    ///
    /// Frames handed on are slices of the read's storage and live on in the pipeline. Left in that
    /// storage, the rest makes `ByteToMessageHandler`'s next append, and its reclaiming of read bytes,
    /// copy the whole shared storage (copy on write) for every read; alone, it costs one copy of a
    /// partial frame, and the next read is appended to it in place.
    package mutating func detachUnreadBytes() {
        guard readableBytes > 0 else { return }
        var rest = ByteBufferAllocator().buffer(capacity: readableBytes)
        rest.writeImmutableBuffer(self)
        self = rest
    }
}
