/// A section of a Fluentd configuration as read, before validation:
/// `<name argument>` with its parameters and nested sections in file order.
///
/// The file itself is the root element, with an empty name.
struct ConfigElement: Sendable {
    var name: String
    var argument: String
    var parameters: [ConfigParameter]
    var elements: [ConfigElement]
    var location: ConfigLocation

    init(
        name: String,
        argument: String = "",
        parameters: [ConfigParameter] = [],
        elements: [ConfigElement] = [],
        location: ConfigLocation
    ) {
        self.name = name
        self.argument = argument
        self.parameters = parameters
        self.elements = elements
        self.location = location
    }

    /// The first parameter of that name.
    subscript(parameter name: String) -> ConfigParameter? {
        parameters.first { $0.name == name }
    }

    /// How the section is written in messages: `<buffer>`, `<match>`.
    var displayName: String { name.isEmpty ? "the top level" : "<\(name)>" }
}

/// `name value` inside a section, the value unquoted, unescaped and with embedded code evaluated.
struct ConfigParameter: Sendable, Hashable {
    var name: String
    var value: String
    var location: ConfigLocation

    init(name: String, value: String, location: ConfigLocation) {
        self.name = name
        self.value = value
        self.location = location
    }
}
