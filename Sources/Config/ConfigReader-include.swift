import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `@include PATH`: as Fluentd's `eval_include`, the path is relative to the
/// folder of the including file, may be a glob (matches read in sorted order),
/// and the included sections and parameters land in the section that holds
/// the `@include`. A file that includes itself, directly or not, is an error.
extension FileParser {
    mutating func include(_ value: String, at location: ConfigLocation, into element: inout ConfigElement) {
        var path = value
        if path.hasPrefix("file://") { path.removeFirst("file://".count) }
        guard !path.isEmpty else {
            log.error(.includeFailed, at: location, word: "@include", "@include needs a path")
            return
        }
        if path.contains("://") {
            log.error(
                .includeFailed, at: location, word: value,
                "@include of '\(value)': only local files can be included"
            )
            return
        }
        let resolved = Self.resolve(path, relativeTo: file)

        let files: [String]
        if path.contains(where: { "*?[{".contains($0) }) {
            files = Self.expandGlob(resolved)
            if files.isEmpty {
                reader.log.warn(.emptyInclude, at: location, word: value, "@include '\(value)' matches no file")
            }
        } else {
            files = [resolved]
        }

        for includedFile in files {
            let canonical = ConfigReader.canonicalPath(includedFile)
            if includeStack.contains(canonical) {
                let chain = (includeStack + [canonical]).map { ($0 as NSString).lastPathComponent }
                log.error(
                    .includeCycle, at: location, word: value,
                    "@include '\(value)' forms a cycle (\(chain.joined(separator: " -> "))); remove one of the includes"
                )
                continue
            }
            guard let text = ConfigReader.contents(ofFile: includedFile) else {
                log.error(
                    .includeFailed, at: location, word: value,
                    "@include cannot read '\(includedFile)'"
                )
                continue
            }
            var parser = FileParser(
                bytes: Array(text.utf8), file: includedFile, reader: reader, includeStack: includeStack + [canonical]
            )
            let included = parser.parse()
            element.parameters.append(contentsOf: included.parameters)
            element.elements.append(contentsOf: included.elements)
        }
    }

    /// `path` as written relative to the folder of `file`, keeping relative paths relative.
    static func resolve(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        let folder = (file as NSString).deletingLastPathComponent
        return folder.isEmpty ? path : folder + "/" + path
    }

    static func expandGlob(_ pattern: String) -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        #if canImport(Darwin)
        let flags = GLOB_BRACE | GLOB_TILDE
        #else
        let flags = Int32(GLOB_BRACE | GLOB_TILDE)
        #endif
        guard glob(pattern, flags, nil, &matches) == 0 else { return [] }
        var paths: [String] = []
        for index in 0..<Int(matches.gl_pathc) {
            if let cPath = matches.gl_pathv[index] {
                paths.append(String(cString: cPath))
            }
        }
        return paths.sorted()
    }
}

extension ConfigReader {
    /// An absolute path with symbolic links resolved, to recognise one file under two names.
    static func canonicalPath(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
