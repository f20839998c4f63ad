using System.Diagnostics;
using System.Net;
using System.Text;

namespace WebFarm.State.Tests.Infrastructure;

/// <summary>`dotnet webfarm.dll state ...` as a child process; killed on dispose whatever happened.</summary>
public sealed class WebfarmProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private WebfarmProcess(Process process, int port)
    {
        _process = process;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public IPEndPoint EndPoint { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static async Task<WebfarmProcess> StartAsync(string arguments, int port)
    {
        var dll = await WebfarmExecutable.GetAsync();
        var process = Process.Start(new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        return new WebfarmProcess(process, port);
    }

    public async Task WaitUntilServingAsync()
    {
        await Eventually.UntilAsync(
            async () =>
            {
                if (_process.HasExited)
                {
                    Assert.Fail($"webfarm exited with {_process.ExitCode}: {Output}");
                }

                try
                {
                    await using var client = await RawClient.ConnectAsync(EndPoint);
                    return await client.CallAsync("PING") is "PONG";
                }
                catch (Exception)
                {
                    return false;
                }
            },
            "webfarm state answers PING",
            TimeSpan.FromSeconds(60));
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    public void KillHard() => _process.Kill(entireProcessTree: true);

    public void Terminate() => ProcessProbe.Signal(_process.Id, "TERM");

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
