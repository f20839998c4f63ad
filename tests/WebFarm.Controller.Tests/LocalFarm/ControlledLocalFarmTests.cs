using System.Net;
using System.Net.Sockets;
using WebFarm.Agent.LocalFarm;
using WebFarm.Agent.Supervision;
using WebFarm.Controller.LocalFarm;

namespace WebFarm.Controller.Tests.LocalFarm;

/// <summary>Start-up checks of `webfarm up` that must fail fast, before anything is built or started.</summary>
public sealed class ControlledLocalFarmTests
{
    // If a check came after app resolution, this path would fail with an AppResolutionException instead.
    private const string MissingApp = "/nonexistent/app.csproj";

    [Theory]
    [InlineData(0, "--port")]
    [InlineData(1, "--admin-port")]
    [InlineData(2, "--state-port")]
    [InlineData(3, "--controller-port")]
    public async Task TakenPort_IsRefusedWithItsOption_BeforeAnythingStarts(int taken, string option)
    {
        var ports = FreePort.Many(4);
        using var occupant = new TcpListener(IPAddress.Loopback, ports[taken]);
        occupant.Start();

        var error = await Assert.ThrowsAsync<PortInUseException>(() => StartAsync(Options(ports)));

        Assert.Equal(option, error.Option);
        Assert.Equal($"port {ports[taken]} in use: another webfarm up or another server is listening; use {option}", error.Message);
        // The other ports were held only during the check and are free again.
        Assert.All(ports.Where((_, i) => i != taken), port => Assert.True(LoopbackPort.IsFree(port), $"port {port} is still held"));
    }

    [Theory]
    [InlineData(0, 8080, 8089, 42424, "--servers 0: expected 1 to 32 servers.")]
    [InlineData(33, 8080, 8089, 42424, "--servers 33: expected 1 to 32 servers.")]
    [InlineData(3, 0, 8089, 42424, "--port 0: expected a port from 1 to 65535.")]
    [InlineData(3, 8080, 70000, 42424, "--admin-port 70000: expected a port from 1 to 65535.")]
    [InlineData(3, 8080, 8080, 42424, "--port 8080, --admin-port 8080 and --state-port 42424 must all differ.")]
    [InlineData(3, 8080, 8089, 8070, "--controller-port 8070 must differ from --port 8080, --admin-port 8089 and --state-port 8070.")]
    public async Task InvalidOptions_AreRefusedWithASpecificMessage(int servers, int port, int adminPort, int statePort, string message)
    {
        var options = new LocalFarmOptions { AppPath = MissingApp, Servers = servers, Port = port, AdminPort = adminPort, StatePort = statePort };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => StartAsync(options));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("healthz", "--health-path healthz: a health path must start with '/', like /healthz.")]
    [InlineData("/health check", "--health-path /health check: a health path is one path, without spaces or control characters, like /healthz.")]
    public async Task InvalidHealthPath_IsRefusedBeforeAnythingStarts(string path, string message)
    {
        var options = new LocalFarmOptions { AppPath = MissingApp, HealthPath = path };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => StartAsync(options));

        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingApp_IsReported_AndReleasesThePorts()
    {
        var ports = FreePort.Many(4);

        var error = await Assert.ThrowsAsync<AppResolutionException>(() => StartAsync(Options(ports)));

        Assert.Contains("no such file or folder", error.Message, StringComparison.Ordinal);
        Assert.All(ports, port => Assert.True(LoopbackPort.IsFree(port), $"port {port} is still held"));
    }

    private static LocalFarmOptions Options(int[] ports)
        => new() { AppPath = MissingApp, Port = ports[0], AdminPort = ports[1], StatePort = ports[2], ControllerPort = ports[3] };

    private static async Task StartAsync(LocalFarmOptions options)
    {
        await using var farm = await ControlledLocalFarm.StartAsync(options, dataDirectory: null, progress: null, CancellationToken.None);
    }
}
