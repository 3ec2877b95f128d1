/// Where an element, a parameter or a problem sits in a configuration file.
///
/// `line` is 1-based; line 0 means the file as a whole (it could not be read).
public struct ConfigLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String {
        line > 0 ? "\(file):\(line)" : file
    }
}
