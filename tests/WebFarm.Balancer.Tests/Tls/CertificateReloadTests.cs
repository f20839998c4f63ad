using Microsoft.AspNetCore.Http;
using WebFarm.Balancer.Events;
using WebFarm.Balancer.Tests.Infrastructure;

namespace WebFarm.Balancer.Tests.Tls;

/// <summary>
/// The certificate folder is watched: a replaced or added certificate serves new handshakes while connections made
/// before keep working, and a certificate that turns bad keeps the one loaded before.
/// </summary>
public sealed class CertificateReloadTests : IAsyncLifetime
{
    private readonly TempDirectory _folder = new();
    private TestBackend _backend = null!;
    private TestBalancer _balancer = null!;

    private int Port => _balancer.Uri.Port;

    public async Task InitializeAsync()
    {
        TestCertificates.WritePemPair(_folder.Path, "www", TestCertificates.Server("www-v1", ["www.test"]));
        _backend = await TestBackend.StartAsync(context => context.Response.WriteAsync("ok"));
        _balancer = await HttpsListenerTests.StartAsync(_folder.Path, _backend, defaultCertificate: null, password: null);
    }

    public async Task DisposeAsync()
    {
        await _balancer.DisposeAsync();
        await _backend.DisposeAsync();
        _folder.Dispose();
    }

    [Fact]
    public async Task A_replaced_certificate_serves_new_handshakes_while_an_open_connection_keeps_working()
    {
        using var open = new HttpsTestClient(Port);
        Assert.Equal("ok", await open.Http.GetStringAsync(open.Url("www.test")));
        Assert.Equal("CN=www-v1", Assert.Single(open.Handshakes).Subject);

        // Written beside and renamed into place, as certificate tools do (the key first, then the certificate).
        var renewed = TestCertificates.Server("www-v2", ["www.test"]);
        TestCertificates.WritePemPair(_folder.Path, "next", renewed);
        File.Move(Path.Combine(_folder.Path, "next.key"), Path.Combine(_folder.Path, "www.key"), overwrite: true);
        File.Move(Path.Combine(_folder.Path, "next.pem"), Path.Combine(_folder.Path, "www.pem"), overwrite: true);

        await Eventually.True(async () => await HttpsTestClient.SubjectAsync(Port, "www.test") == "CN=www-v2", because: "new handshakes get the renewed certificate");
        Assert.Contains(_balancer.Runtime.Events.Since(0), e => e.Kind == EventKind.CertificatesReloaded && e.Message.Contains("loaded www (www.test;", StringComparison.Ordinal));

        // The connection made before the change: still answered, and no new handshake was needed for it.
        Assert.Equal("ok", await open.Http.GetStringAsync(open.Url("www.test")));
        Assert.Equal("CN=www-v1", Assert.Single(open.Handshakes).Subject);
    }

    [Fact]
    public async Task An_added_certificate_serves_its_names()
    {
        Assert.Equal("CN=www-v1", await HttpsTestClient.SubjectAsync(Port, "api.test"));
        TestCertificates.WriteCombinedPem(_folder.Path, "api", TestCertificates.Server("api", ["api.test"]));
        await Eventually.True(async () => await HttpsTestClient.SubjectAsync(Port, "api.test") == "CN=api", because: "the added certificate serves api.test");
        Assert.Equal("CN=www-v1", await HttpsTestClient.SubjectAsync(Port, "www.test"));
    }

    [Fact]
    public async Task A_certificate_that_turns_bad_keeps_the_one_loaded_before_and_says_why()
    {
        var now = DateTimeOffset.UtcNow;
        var expired = TestCertificates.Server("www-expired", ["www.test"], notBefore: now.AddDays(-30), notAfter: now.AddDays(-1));
        File.WriteAllText(Path.Combine(_folder.Path, "www.pem"), expired.ExportCertificatePem() + "\n" + TestCertificates.KeyPem(expired));
        File.Delete(Path.Combine(_folder.Path, "www.key"));

        await Eventually.True(
            () => _balancer.Runtime.Events.Since(0).Any(e => e.Kind == EventKind.CertificateRejected && e.Message.Contains("www.pem: expired on", StringComparison.Ordinal)),
            because: "the rescan rejects the expired certificate");
        var rejected = _balancer.Runtime.Events.Since(0).First(e => e.Kind == EventKind.CertificateRejected);
        Assert.Contains("keeping the certificate 'www' loaded before", rejected.Message);
        Assert.Equal("CN=www-v1", await HttpsTestClient.SubjectAsync(Port, "www.test"));
        using var client = new HttpsTestClient(Port);
        Assert.Equal("ok", await client.Http.GetStringAsync(client.Url("www.test")));
    }
}
