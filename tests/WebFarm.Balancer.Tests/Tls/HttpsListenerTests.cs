using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Tls;

/// <summary>
/// An https listener with three certificates in its folder, one of each kind: a.test (name.pem + name.key),
/// b.test (one PEM with both, the configured default) and *.wild.test (a PFX with a password). Checked with .NET's
/// SslStream and HttpClient, openssl s_client, curl and h2load against a real backend.
/// </summary>
public sealed class HttpsListenerTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new();
    private TestBackend _backend = null!;
    private TestBalancer _balancer = null!;

    private int Port => _balancer.Uri.Port;

    public async Task InitializeAsync()
    {
        TestCertificates.WritePemPair(_folder.Path, "a", TestCertificates.Server("cert-a", ["a.test"]));
        TestCertificates.WriteCombinedPem(_folder.Path, "b", TestCertificates.Server("cert-b", ["b.test", "www.b.test"]));
        TestCertificates.WritePfx(_folder.Path, "wild", TestCertificates.Server("cert-wild", ["*.wild.test"]), "s3cret");
        _backend = await TestBackend.StartAsync(context =>
        {
            context.Response.Headers["X-Seen-Proto"] = context.Request.Headers["X-Forwarded-Proto"].ToString();
            context.Response.Headers["X-Seen-Host"] = context.Request.Host.Value;
            return context.Response.WriteAsync("hello over " + context.Request.Protocol);
        });
        _balancer = await StartAsync(_folder.Path, _backend);
    }

    /// <summary>A balancer whose only listener is https on 127.0.0.1:0 with the certificates of <paramref name="folder"/>.</summary>
    internal static Task<TestBalancer> StartAsync(string folder, TestBackend backend, string? defaultCertificate = "b", string? password = "s3cret", HstsOptions? hsts = null)
        => TestBalancer.StartAsync(
            TestBalancer.SingleFarm(backend),
            host: o => o with
            {
                ListenOverride =
                [
                    new ListenEndpoint("https://127.0.0.1:0") { Certificates = folder, DefaultCertificate = defaultCertificate, CertificatePassword = password, Hsts = hsts },
                ],
            });

    public async Task DisposeAsync()
    {
        await _balancer.DisposeAsync();
        await _backend.DisposeAsync();
        _folder.Dispose();
    }

    [Theory]
    [InlineData("a.test", "CN=cert-a")] // exact
    [InlineData("A.Test", "CN=cert-a")] // names are case-insensitive
    [InlineData("a.test.", "CN=cert-a")] // a fully qualified name's root dot
    [InlineData("www.b.test", "CN=cert-b")] // any name of the SAN
    [InlineData("x.wild.test", "CN=cert-wild")] // wildcard, one label
    [InlineData("a.b.wild.test", "CN=cert-b")] // a wildcard covers one label only: the default
    [InlineData("wild.test", "CN=cert-b")] // nor the bare domain
    [InlineData("unknown.test", "CN=cert-b")] // no certificate has the name: the default
    [InlineData(null, "CN=cert-b")] // no SNI (a client that connects by IP address): the default
    public async Task Sni_selects_the_exact_name_then_a_wildcard_then_the_default(string? serverName, string subject)
        => Assert.Equal(subject, await HttpsTestClient.SubjectAsync(Port, serverName));

    [Theory]
    [InlineData("a.test", "CN = cert-a")]
    [InlineData("x.wild.test", "CN = cert-wild")]
    [InlineData("nothing.test", "CN = cert-b")]
    public async Task Openssl_s_client_gets_the_certificate_of_its_servername(string serverName, string subject)
    {
        var (exit, output, error) = await OpenSsl("-servername", serverName);
        Assert.True(exit == 0, error + output);
        Assert.Contains("subject=" + subject, output);
    }

    [Fact]
    public async Task HttpClient_by_host_name_gets_its_certificate_and_the_server_sees_https_forwarded()
    {
        using var client = new HttpsTestClient(Port);
        using var response = await client.Http.GetAsync(client.Url("a.test", "/hello"));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("hello over HTTP/1.1", await response.Content.ReadAsStringAsync());
        Assert.Equal("https", Assert.Single(response.Headers.GetValues("X-Seen-Proto")));
        Assert.Equal($"a.test:{Port}", Assert.Single(response.Headers.GetValues("X-Seen-Host")));
        Assert.Equal("CN=cert-a", Assert.Single(client.Handshakes).Subject);
    }

    [Fact]
    public async Task HttpClient_gets_http2_through_alpn()
    {
        using var client = new HttpsTestClient(Port, System.Net.HttpVersion.Version20);
        using var response = await client.Http.GetAsync(client.Url("x.wild.test"));
        Assert.Equal(System.Net.HttpVersion.Version20, response.Version);
        Assert.Equal("https", Assert.Single(response.Headers.GetValues("X-Seen-Proto")));
        Assert.Equal("CN=cert-wild", Assert.Single(client.Handshakes).Subject);
    }

    [Fact]
    public async Task Curl_negotiates_http2_and_h2load_completes_every_request()
    {
        var curl = await ProcessRunner.RunAsync("curl", ["--http2", "-sk", "--resolve", $"a.test:{Port}:127.0.0.1", "-o", "/dev/null", "-w", "%{http_version} %{response_code}", $"https://a.test:{Port}/"]);
        Assert.Equal("2 200", curl);

        // Bounded in count (200) and time (the runner's timeout); every request must succeed over h2.
        var h2load = await ProcessRunner.RunAsync("h2load", ["-n", "200", "-c", "4", "-m", "10", $"https://127.0.0.1:{Port}/"], TimeSpan.FromSeconds(60));
        Assert.Contains("Application protocol: h2", h2load);
        Assert.Contains("200 succeeded, 0 failed, 0 errored", h2load);
    }

    [Theory]
    [InlineData("-tls1_2", "TLSv1.2")]
    [InlineData("-tls1_3", "TLSv1.3")]
    public async Task Tls_1_2_and_1_3_are_accepted(string option, string protocol)
    {
        var (exit, output, error) = await OpenSsl(option, "-servername", "a.test");
        Assert.True(exit == 0, error + output);
        Assert.Contains($"New, {protocol}, Cipher is ", output);
    }

    [Theory]
    [InlineData("-tls1")]
    [InlineData("-tls1_1")]
    public async Task Tls_1_0_and_1_1_are_refused_by_the_server(string option)
    {
        // Debian's OpenSSL refuses TLS 1.0/1.1 itself at its default security level 2 ("no protocols available"
        // before a byte is sent); level 0 lets the client offer them, so the refusal seen is the balancer's.
        var (exit, output, error) = await OpenSsl(option, "-cipher", "DEFAULT@SECLEVEL=0", "-servername", "a.test");
        Assert.NotEqual(0, exit);
        Assert.DoesNotContain("no protocols available", error);
        Assert.Contains("alert protocol version", error);
        Assert.DoesNotContain("BEGIN CERTIFICATE", output);
    }

    private Task<(int ExitCode, string Output, string Error)> OpenSsl(params string[] options)
    {
        var start = new ProcessStartInfo("openssl");
        foreach (var arg in (string[])["s_client", "-connect", $"127.0.0.1:{Port}", .. options])
        {
            start.ArgumentList.Add(arg);
        }

        // Closed stdin: s_client ends right after the handshake.
        return ProcessRunner.RunToEndAsync(start, stdin: string.Empty, timeout: TimeSpan.FromSeconds(30));
    }
}
