/// Collects every problem found while reading and validating, so one run reports them all.
final class ProblemLog {
    private(set) var problems: [ConfigProblem] = []
    private(set) var warnings: [ConfigProblem] = []

    func error(_ code: ConfigProblem.Code, at location: ConfigLocation, word: String, _ message: String) {
        problems.append(ConfigProblem(code: code, location: location, word: word, message: message))
    }

    func warn(_ code: ConfigProblem.Code, at location: ConfigLocation, word: String, _ message: String) {
        warnings.append(ConfigProblem(code: code, location: location, word: word, message: message))
    }
}
