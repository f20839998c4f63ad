using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using WebFarm.Balancer.Configuration;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Tls;

/// <summary>
/// https servers: verified against a farm's CA file (or the system's roots, which do not know a private CA), or not at
/// all when the farm says so by name. Traffic and health checks follow the same rule.
/// </summary>
public sealed class UpstreamTlsTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private X509Certificate2 _authority = null!;
    private TestBackend _backend = null!;
    private string _caFile = null!;

    public async Task InitializeAsync()
    {
        _authority = TestCertificates.Authority("WebFarm Upstream Test CA");
        _caFile = TestCertificates.WriteCertificate(_temp.Sub("ca.pem"), _authority);
        var certificate = TestCertificates.Server("backend", ["127.0.0.1", "localhost"], _authority);
        _backend = await TestBackend.StartAsync(
            context => context.Response.WriteAsync("secure hello, " + context.Request.Protocol + " " + context.Request.Scheme),
            HttpProtocols.Http1AndHttp2,
            certificate: certificate);
    }

    public async Task DisposeAsync()
    {
        await _backend.DisposeAsync();
        _temp.Dispose();
    }

    private Task<TestBalancer> StartAsync(Func<FarmOptions, FarmOptions> farm)
        => TestBalancer.StartAsync(TestBalancer.SingleFarm([_backend.Address], farm));

    [Fact]
    public async Task A_server_whose_certificate_chains_to_the_farms_ca_file_is_reached()
    {
        Assert.StartsWith("https://", _backend.Address, StringComparison.Ordinal);
        await using var balancer = await StartAsync(f => f with { TlsCaFile = _caFile });
        Assert.Equal("secure hello, HTTP/1.1 https", await balancer.Client.GetStringAsync("/"));
    }

    [Fact]
    public async Task A_server_with_a_certificate_of_an_unknown_ca_gets_a_502_naming_the_tls_failure()
    {
        await using var balancer = await StartAsync(f => f with { Retries = new RetryOptions { MaxAttempts = 1 } });
        using var response = await balancer.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("WebFarm: server 'web1' in farm 'web': the TLS handshake with the server failed (", body);
        // SslStream's own reason: an issuer the system's roots do not hold is a partial chain.
        Assert.True(body.Contains("The remote certificate is invalid because of errors in the certificate chain: PartialChain", StringComparison.Ordinal), body);
        Assert.Equal(0, _backend.Requests);
        Assert.Equal(1, balancer.Runtime.Snapshot.Farms["web"].View.Servers[0].Statistics.TransportFailures);
    }

    [Fact]
    public async Task A_server_verified_against_another_ca_file_is_refused()
    {
        var other = TestCertificates.WriteCertificate(_temp.Sub("other-ca.pem"), TestCertificates.Authority("Another CA"));
        await using var balancer = await StartAsync(f => f with { TlsCaFile = other, Retries = new RetryOptions { MaxAttempts = 1 } });
        using var response = await balancer.Client.GetAsync("/");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("the TLS handshake with the server failed", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Skipping_verification_named_on_the_farm_reaches_the_server()
    {
        await using var balancer = await StartAsync(f => f with { TlsInsecureSkipVerify = true });
        Assert.Equal("secure hello, HTTP/1.1 https", await balancer.Client.GetStringAsync("/"));
    }

    [Fact]
    public async Task Skipping_verification_is_a_warning_once_when_a_farm_starts_skipping_not_per_request_or_reload()
    {
        using var logs = new CapturingLoggerProvider();
        var config = TestBalancer.SingleFarm([_backend.Address], f => f with { TlsInsecureSkipVerify = true });
        await using var balancer = await TestBalancer.StartAsync(config, loggerFactory: logs.Factory);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("secure hello, HTTP/1.1 https", await balancer.Client.GetStringAsync("/"));
        }

        // A reload that keeps skipping says nothing new; one that turns it off and on again says it again.
        balancer.Runtime.Apply(balancer.Runtime.Config with { AccessLog = true });
        bool IsSkipWarning((string Category, Microsoft.Extensions.Logging.LogLevel Level, string Message, Exception? Exception) e)
            => e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Message.Contains("Farm 'web' does not verify its https servers' certificates (TlsInsecureSkipVerify)", StringComparison.Ordinal);
        Assert.Single(logs.Entries, IsSkipWarning);
        var verifying = balancer.Runtime.Config with { Farms = new Dictionary<string, FarmOptions> { ["web"] = balancer.Runtime.Config.Farms["web"] with { TlsInsecureSkipVerify = false } } };
        balancer.Runtime.Apply(verifying);
        Assert.Equal(HttpStatusCode.BadGateway, (await balancer.Client.GetAsync("/")).StatusCode);
        balancer.Runtime.Apply(config with { StateDirectory = balancer.Runtime.Config.StateDirectory, Listen = balancer.Runtime.Config.Listen, Admin = balancer.Runtime.Config.Admin });
        Assert.Equal(2, logs.Entries.Count(IsSkipWarning));
    }

    [Fact]
    public async Task Health_checks_follow_the_farms_rule()
    {
        var health = new HealthCheckOptions { Path = "/healthz", Interval = TimeSpan.FromMilliseconds(200), Timeout = TimeSpan.FromSeconds(5), Rise = 1, Fall = 1 };
        await using var trusted = await StartAsync(f => f with { TlsCaFile = _caFile, Health = health });
        await using var untrusted = await StartAsync(f => f with { Health = health });
        var trustedServer = trusted.Runtime.Snapshot.Farms["web"].View.Servers[0];
        var untrustedServer = untrusted.Runtime.Snapshot.Farms["web"].View.Servers[0];
        await Eventually.True(() => trustedServer.HealthChecks.ToList().Count >= 2 && untrustedServer.HealthChecks.ToList().Count >= 2, because: "both monitors probed");
        Assert.True(trustedServer.Healthy);
        Assert.False(untrustedServer.Healthy);
    }

    [Fact]
    public async Task A_missing_ca_file_is_a_config_error_with_its_path()
    {
        var ex = await Assert.ThrowsAsync<ConfigException>(() => StartAsync(f => f with { TlsCaFile = _temp.Sub("missing.pem") }));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("$.Farms.web.TlsCaFile", error.Path);
        Assert.Contains("cannot read the CA file " + _temp.Sub("missing.pem"), error.Reason);
    }
}
