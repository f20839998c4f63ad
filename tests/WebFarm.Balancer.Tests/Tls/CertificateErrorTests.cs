using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Tls;

/// <summary>
/// A certificate folder that cannot serve stops the start with a clear error: at <c>$.Listen[0].Certificates</c>,
/// naming the file and why. One row per problem; each folder otherwise holds one good certificate, so the row's file
/// is the only reason.
/// </summary>
public sealed class CertificateErrorTests
{
    public static TheoryData<string, string> Rows() => new()
    {
        { "missing folder", "does not exist" },
        { "empty folder", "holds no certificate (name.pem + name.key, a PEM with both, or name.pfx)" },
        { "garbage key", "bad.key holds no PEM private key block" },
        { "mismatched key", "bad.pem + bad.key: the private key does not match the certificate's public key" },
        { "expired", "bad.pem + bad.key: expired on" },
        { "not yet valid", "bad.pem + bad.key: is not valid before" },
        { "key without certificate", "bad.key has no certificate beside it (bad.pem or bad.crt)" },
        { "certificate without key", "bad.pem: holds no private key" },
        { "pfx wrong password", "bad.pfx: cannot be opened with CertificatePassword" },
        { "client certificate", "bad.pem + bad.key: its extended key usage does not include server authentication" },
        { "unknown default", "DefaultCertificate 'nope' is not in " },
        { "not a certificate", "bad.pem: bad.pem holds no PEM \"CERTIFICATE\" block" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task A_folder_that_cannot_serve_is_a_config_error_naming_the_file_and_why(string row, string reason)
    {
        using var temp = new TempDirectory();
        var folder = temp.Sub("certs");
        Directory.CreateDirectory(folder);
        string? defaultCertificate = null;
        var now = DateTimeOffset.UtcNow;
        switch (row)
        {
            case "missing folder":
                Directory.Delete(folder);
                break;
            case "empty folder":
                File.WriteAllText(Path.Combine(folder, "README.txt"), "not a certificate");
                break;
            case "garbage key":
                File.WriteAllText(Path.Combine(folder, "bad.pem"), TestCertificates.Server("bad", ["bad.test"]).ExportCertificatePem());
                File.WriteAllText(Path.Combine(folder, "bad.key"), "-----BEGIN PRIVATE KEY-----\nnot base64 at all!\n-----END PRIVATE KEY-----\n");
                break;
            case "mismatched key":
                File.WriteAllText(Path.Combine(folder, "bad.pem"), TestCertificates.Server("bad", ["bad.test"]).ExportCertificatePem());
                File.WriteAllText(Path.Combine(folder, "bad.key"), TestCertificates.KeyPem(TestCertificates.Server("other", ["other.test"])));
                break;
            case "expired":
                TestCertificates.WritePemPair(folder, "bad", TestCertificates.Server("bad", ["bad.test"], notBefore: now.AddDays(-30), notAfter: now.AddDays(-1)));
                break;
            case "not yet valid":
                TestCertificates.WritePemPair(folder, "bad", TestCertificates.Server("bad", ["bad.test"], notBefore: now.AddDays(2), notAfter: now.AddDays(30)));
                break;
            case "key without certificate":
                File.WriteAllText(Path.Combine(folder, "bad.key"), TestCertificates.KeyPem(TestCertificates.Server("bad", ["bad.test"])));
                break;
            case "certificate without key":
                File.WriteAllText(Path.Combine(folder, "bad.pem"), TestCertificates.Server("bad", ["bad.test"]).ExportCertificatePem());
                break;
            case "pfx wrong password":
                TestCertificates.WritePfx(folder, "bad", TestCertificates.Server("bad", ["bad.test"]), "another password");
                break;
            case "client certificate":
                TestCertificates.WritePemPair(folder, "bad", TestCertificates.Server("bad", ["bad.test"], clientOnly: true));
                break;
            case "unknown default":
                TestCertificates.WritePemPair(folder, "bad", TestCertificates.Server("bad", ["bad.test"]));
                defaultCertificate = "nope";
                break;
            case "not a certificate":
                File.WriteAllText(Path.Combine(folder, "bad.pem"), "hello, I am not PEM\n");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(row), row, null);
        }

        if (row is not ("missing folder" or "empty folder"))
        {
            TestCertificates.WritePemPair(folder, "good", TestCertificates.Server("good", ["good.test"]));
        }

        var ex = await Assert.ThrowsAsync<ConfigException>(() => TestBalancer.StartAsync(
            TestBalancer.SingleFarm(["http://127.0.0.1:1"]),
            host: o => o with
            {
                ListenOverride = [new ListenEndpoint("https://127.0.0.1:0") { Certificates = folder, CertificatePassword = "s3cret", DefaultCertificate = defaultCertificate }],
            }));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("$.Listen[0].Certificates", error.Path);
        Assert.Contains(reason, error.Reason);
        if (row is not ("missing folder" or "empty folder" or "unknown default"))
        {
            Assert.StartsWith(folder + Path.DirectorySeparatorChar + "bad.", error.Reason);
        }
        else
        {
            Assert.Contains(folder, error.Reason);
        }
    }

    public static TheoryData<string, string, string> ConfigRows() => new()
    {
        { """{ "Url": "https://127.0.0.1:8443" }""", "$.Listen[0].Certificates", "is required for an https listener" },
        { """{ "Url": "http://127.0.0.1:8080", "Hsts": {} }""", "$.Listen[0].Hsts", "is for https listeners; \"http://127.0.0.1:8080\" is http" },
        { """{ "Url": "http://127.0.0.1:8080", "Certificates": "certs" }""", "$.Listen[0].Certificates", "is for https listeners" },
        { """{ "Url": "https://127.0.0.1:8443", "Certificates": "certs", "RedirectToHttps": true }""", "$.Listen[0].RedirectToHttps", "is for http listeners" },
        { """{ "Url": "http://127.0.0.1:8080", "RedirectToHttps": true }""", "$.Listen[0].HttpsPort", "no https listener is configured" },
        { """{ "Url": "http://127.0.0.1:8080", "HttpsPort": 8443 }""", "$.Listen[0].HttpsPort", "only means something with \"RedirectToHttps\": true" },
        { """{ "Url": "http://127.0.0.1:8080", "RedirectToHttps": true, "HttpsPort": 70000 }""", "$.Listen[0].HttpsPort", "70000 is not a port number" },
        { """{ "Url": "https://127.0.0.1:8443", "Certificates": "certs", "Hsts": { "Preload": true } }""", "$.Listen[0].Hsts.Preload", "needs IncludeSubDomains" },
        { """{ "Url": "https://127.0.0.1:8443", "Certificates": "certs", "Hsts": { "MaxAge": "1 fortnight" } }""", "$.Listen[0].Hsts.MaxAge", "unknown duration unit" },
        { """{ "Url": "https://127.0.0.1:8443", "Certificates": "certs", "Hsts": { "MaxAgee": "1d" } }""", "$.Listen[0].Hsts.MaxAgee", "unknown key 'MaxAgee' (expected one of: MaxAge, IncludeSubDomains, Preload)" },
        { "\"ftp://127.0.0.1:21\"", "$.Listen[0]", "is not an http:// or https:// URL" },
    };

    [Theory]
    [MemberData(nameof(ConfigRows))]
    public void Listener_options_that_do_not_fit_the_scheme_are_errors_with_their_path(string listener, string path, string reason)
    {
        var ex = Assert.Throws<ConfigException>(() => BalancerConfigLoader.Parse(
            $$"""{ "Listen": [ {{listener}} ], "Farms": { "web": { "Servers": [ { "Name": "a", "Address": "http://127.0.0.1:5000" } ] } } }""", "farm.json"));
        var error = Assert.Single(ex.Errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(reason, error.Reason);
    }

    [Theory]
    [InlineData("""{ "Listen": "https://127.0.0.1:9000" }""", "$.Admin.Listen", "this listener is http only")]
    [InlineData("""{ "TlsCaFile": "ca.pem", "TlsInsecureSkipVerify": true }""", "$.Farms.web.TlsInsecureSkipVerify", "contradicts TlsCaFile")]
    public void Admin_is_http_only_and_a_farm_cannot_both_verify_and_skip(string fragment, string path, string reason)
    {
        var json = path.StartsWith("$.Admin", StringComparison.Ordinal)
            ? $$"""{ "Admin": {{fragment}}, "Farms": { "web": { "Servers": [] } } }"""
            : $$"""{ "Farms": { "web": {{fragment[..^1]}}, "Servers": [] } } }""";
        var ex = Assert.Throws<ConfigException>(() => BalancerConfigLoader.Parse(json, "farm.json"));
        var error = Assert.Single(ex.Errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(reason, error.Reason);
    }

    [Fact]
    public void Every_listener_key_is_read()
    {
        var config = BalancerConfigLoader.Parse("""
            {
              "Listen": [
                { "Url": "https://0.0.0.0:443", "Protocols": "Http1", "Certificates": "certs", "CertificatePassword": "pw", "DefaultCertificate": "www",
                  "Hsts": { "MaxAge": "730d", "IncludeSubDomains": true, "Preload": true } },
                { "Url": "http://0.0.0.0:80", "RedirectToHttps": true },
                { "Url": "http://0.0.0.0:8080", "RedirectToHttps": true, "HttpsPort": 8443 }
              ],
              "Farms": { "web": { "TlsCaFile": "ca.pem", "Servers": [ { "Name": "a", "Address": "https://10.0.0.1:5001" } ] } }
            }
            """);
        var https = config.Listen[0];
        Assert.True(https.IsHttps);
        Assert.Equal(("certs", "pw", "www", ListenProtocols.Http1), (https.Certificates, https.CertificatePassword, https.DefaultCertificate, https.Protocols));
        Assert.Equal("max-age=63072000; includeSubDomains; preload", https.Hsts!.HeaderValue());
        Assert.True(config.Listen[1].RedirectToHttps);
        Assert.Null(config.Listen[1].HttpsPort);
        Assert.Equal(8443, config.Listen[2].HttpsPort);
        Assert.Equal("ca.pem", config.Farms["web"].TlsCaFile);
        Assert.False(config.Farms["web"].TlsInsecureSkipVerify);
    }
}
