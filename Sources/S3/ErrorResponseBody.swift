/// The fields of an S3 `<Error>` or STS `<ErrorResponse><Error>` body.
struct ErrorResponseBody: Sendable, Equatable {
    var code: String?
    var message: String?
    var requestID: String?

    init?(xml: String) {
        let code = XMLFields.firstValue(of: "Code", in: xml)
        guard let code, !code.isEmpty else { return nil }
        self.code = code
        self.message = XMLFields.firstValue(of: "Message", in: xml)
        self.requestID = XMLFields.firstValue(of: "RequestId", in: xml)
    }
}

/// A tolerant reader for the flat, well-known XML documents S3 and STS send back.
///
/// It finds the first `<Name>` (attributes allowed, no namespace prefix) and returns its text
/// with entities decoded. That covers error bodies and AssumeRole results without pulling
/// libxml2 into the binary through FoundationXML.
enum XMLFields {
    static func firstValue(of element: String, in xml: String) -> String? {
        var searchStart = xml.startIndex
        while let open = xml.range(of: "<\(element)", range: searchStart..<xml.endIndex) {
            guard open.upperBound < xml.endIndex else { return nil }
            let next = xml[open.upperBound]
            // `<CodeX>` is another element; only `>`, `/` or whitespace end the name.
            guard next == ">" || next == "/" || next.isWhitespace else {
                searchStart = open.upperBound
                continue
            }
            guard let tagEnd = xml.range(of: ">", range: open.upperBound..<xml.endIndex) else { return nil }
            if xml[xml.index(before: tagEnd.lowerBound)] == "/" { return "" }  // <Name/>
            guard let close = xml.range(of: "</\(element)>", range: tagEnd.upperBound..<xml.endIndex) else { return nil }
            return decodeEntities(String(xml[tagEnd.upperBound..<close.lowerBound]))
        }
        return nil
    }

    /// The contents of every `<Name>...</Name>` in turn (not nested in one another).
    static func elements(named element: String, in xml: String) -> [String] {
        var result: [String] = []
        var searchStart = xml.startIndex
        while let open = xml.range(of: "<\(element)>", range: searchStart..<xml.endIndex),
            let close = xml.range(of: "</\(element)>", range: open.upperBound..<xml.endIndex)
        {
            result.append(String(xml[open.upperBound..<close.lowerBound]))
            searchStart = close.upperBound
        }
        return result
    }

    /// Text made safe to put between tags.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            default: result.append(character)
            }
        }
        return result
    }

    static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") || text.contains("<![CDATA[") else { return text }
        var text = text
        if text.hasPrefix("<![CDATA["), text.hasSuffix("]]>") {
            return String(text.dropFirst(9).dropLast(3))
        }
        var result = ""
        while let amp = text.firstIndex(of: "&") {
            result += text[..<amp]
            guard let semicolon = text[amp...].firstIndex(of: ";"), text.distance(from: amp, to: semicolon) <= 10 else {
                result += "&"
                text = String(text[text.index(after: amp)...])
                continue
            }
            let entity = text[text.index(after: amp)..<semicolon]
            switch entity {
            case "amp": result += "&"
            case "lt": result += "<"
            case "gt": result += ">"
            case "quot": result += "\""
            case "apos": result += "'"
            default:
                let scalar: Unicode.Scalar?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if entity.hasPrefix("#") {
                    scalar = UInt32(entity.dropFirst(1)).flatMap(Unicode.Scalar.init)
                } else {
                    scalar = nil
                }
                if let scalar { result.unicodeScalars.append(scalar) } else { result += "&\(entity);" }
            }
            text = String(text[text.index(after: semicolon)...])
        }
        return result + text
    }
}
