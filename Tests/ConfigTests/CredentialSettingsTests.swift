import Foundation
import Testing

@testable import SluiceConfig

/// fluent-plugin-s3's credential sections: defaults, parameters, and the errors they give.
@Suite struct CredentialSettingsTests {
    @Test func noCredentialSectionMeansTheDefaultChain() throws {
        let s3 = try #require(try Support.parse(Support.s3Match("")).firstS3)
        #expect(s3.sharedCredentials == nil)
        #expect(s3.webIdentity == nil)
        #expect(s3.instanceProfile == nil)
        #expect(s3.assumeRole == nil)
    }

    @Test func sharedCredentials() throws {
        let s3 = try #require(try Support.parse(Support.s3Match("""
              <shared_credentials>
                path /etc/sluice/aws-credentials
                profile_name "#{ENV['BUCKET']}"
              </shared_credentials>
            """)).firstS3)
        let shared = try #require(s3.sharedCredentials)
        #expect(shared.path == "/etc/sluice/aws-credentials")
        #expect(shared.profileName == "env-bucket")
        #expect(shared.location.line == 4)

        let defaults = try #require(try Support.parse(Support.s3Match("<shared_credentials>\n</shared_credentials>")).firstS3?.sharedCredentials)
        #expect(defaults.path == nil)
        #expect(defaults.profileName == nil)
    }

    @Test func webIdentity() throws {
        let s3 = try #require(try Support.parse(Support.s3Match("""
              s3_region eu-west-1
              <web_identity_credentials>
                role_arn arn:aws:iam::123456789012:role/sluice
                role_session_name "#{Socket.gethostname}"
                web_identity_token_file /var/run/secrets/eks.amazonaws.com/serviceaccount/token
                policy {"Version":"2012-10-17"}
                duration_seconds 7200
                sts_region us-west-2
                sts_endpoint_url http://127.0.0.1:5000
              </web_identity_credentials>
            """)).firstS3)
        let web = try #require(s3.webIdentity)
        #expect(web.roleARN == "arn:aws:iam::123456789012:role/sluice")
        #expect(web.roleSessionName == "ip-172-31-92-150")
        #expect(web.webIdentityTokenFile == "/var/run/secrets/eks.amazonaws.com/serviceaccount/token")
        #expect(web.policy == #"{"Version":"2012-10-17"}"#)
        #expect(web.durationSeconds == 7200)
        #expect(web.stsRegion == "us-west-2")
        #expect(web.stsEndpoint?.absoluteString == "http://127.0.0.1:5000")

        let minimal = try #require(try Support.parse(Support.s3Match("""
              <web_identity_credentials>
                role_arn arn:aws:iam::1:role/r
                role_session_name s1
                web_identity_token_file /t
              </web_identity_credentials>
            """)).firstS3?.webIdentity)
        #expect(minimal.durationSeconds == nil)
        #expect(minimal.policy == nil)
        #expect(minimal.stsRegion == nil)
        #expect(minimal.stsEndpoint == nil)
    }

    @Test func instanceProfile() throws {
        let defaults = try #require(try Support.parse(
            Support.s3Match("<instance_profile_credentials>\n</instance_profile_credentials>")
        ).firstS3?.instanceProfile)
        #expect(defaults.retries == 1)
        #expect(defaults.ipAddress == nil)
        #expect(defaults.port == nil)
        #expect(defaults.httpOpenTimeout == .seconds(1))
        #expect(defaults.httpReadTimeout == .seconds(1))

        let set = try #require(try Support.parse(Support.s3Match("""
              <instance_profile_credentials>
                retries 3
                ip_address 127.0.0.1
                port 1338
                http_open_timeout 0.5
                http_read_timeout 2
              </instance_profile_credentials>
            """)).firstS3?.instanceProfile)
        #expect(set.retries == 3)
        #expect(set.ipAddress == "127.0.0.1")
        #expect(set.port == 1338)
        #expect(set.httpOpenTimeout == .milliseconds(500))
        #expect(set.httpReadTimeout == .seconds(2))
    }

    @Test func assumeRoleWrapsACredentialSection() throws {
        let s3 = try #require(try Support.parse(Support.s3Match("""
              <instance_profile_credentials>
              </instance_profile_credentials>
              <assume_role_credentials>
                role_arn arn:aws:iam::1:role/writer
                role_session_name s1
                policy {"Version":"2012-10-17"}
              </assume_role_credentials>
            """)).firstS3)
        #expect(s3.instanceProfile != nil)
        #expect(s3.assumeRole?.policy == #"{"Version":"2012-10-17"}"#)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var body: String
        var code: ConfigProblem.Code
        var line: Int
        var word: String
        var message: String? = nil
        var testDescription: String { name }
    }

    // Support.s3Match puts the body from line 4 on.
    static let cases: [Case] = [
        Case(
            name: "unknown parameter in <shared_credentials>",
            body: "<shared_credentials>\n  profile bob\n</shared_credentials>", code: .unknownParameter, line: 5, word: "profile",
            message: "test.conf:5: unknown parameter 'profile' in <shared_credentials>"
        ),
        Case(
            name: "unknown parameter in <web_identity_credentials>, suggested",
            body: "<web_identity_credentials>\n  role_arn arn:aws:iam::1:role/r\n  role_session_name s1\n  web_identity_token_file /t\n  web_identity_token /t\n</web_identity_credentials>",
            code: .unknownParameter, line: 8, word: "web_identity_token"
        ),
        Case(
            name: "unknown parameter in <instance_profile_credentials>, suggested",
            body: "<instance_profile_credentials>\n  ip_adress 127.0.0.1\n</instance_profile_credentials>",
            code: .unknownParameter, line: 5, word: "ip_adress",
            message: "test.conf:5: unknown parameter 'ip_adress' in <instance_profile_credentials>; did you mean 'ip_address'?"
        ),
        Case(
            name: "missing web_identity_token_file",
            body: "<web_identity_credentials>\n  role_arn arn:aws:iam::1:role/r\n  role_session_name s1\n</web_identity_credentials>",
            code: .missingParameter, line: 4, word: "web_identity_token_file"
        ),
        Case(
            name: "web identity role_arn not an ARN",
            body: "<web_identity_credentials>\n  role_arn sluice\n  role_session_name s1\n  web_identity_token_file /t\n</web_identity_credentials>",
            code: .badValue, line: 5, word: "sluice"
        ),
        Case(
            name: "web identity duration above STS's maximum",
            body: "<web_identity_credentials>\n  role_arn arn:aws:iam::1:role/r\n  role_session_name s1\n  web_identity_token_file /t\n  duration_seconds 86400\n</web_identity_credentials>",
            code: .badValue, line: 8, word: "86400"
        ),
        Case(
            name: "instance profile port out of range",
            body: "<instance_profile_credentials>\n  port 0\n</instance_profile_credentials>", code: .badValue, line: 5, word: "0"
        ),
        Case(
            name: "instance profile timeout not a number",
            body: "<instance_profile_credentials>\n  http_open_timeout soon\n</instance_profile_credentials>",
            code: .badValue, line: 5, word: "soon"
        ),
        Case(
            name: "empty profile_name",
            body: "<shared_credentials>\n  profile_name \"\"\n</shared_credentials>", code: .badValue, line: 5, word: ""
        ),
        Case(
            name: "a credential section twice",
            body: "<shared_credentials>\n</shared_credentials>\n<shared_credentials>\n</shared_credentials>",
            code: .duplicateSection, line: 6, word: "shared_credentials"
        ),
    ]

    @Test(arguments: cases)
    func reported(_ testCase: Case) throws {
        let problems = Support.problems(Support.s3Match(testCase.body))
        let problem = try #require(problems.first { $0.code == testCase.code }, "got \(problems)")
        #expect(problem.location == ConfigLocation(file: "test.conf", line: testCase.line))
        #expect(problem.word == testCase.word)
        if let message = testCase.message { #expect(problem.description == message) }
        #expect(problems.count == 1, "\(problems)")
    }
}
