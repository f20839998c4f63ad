using System.Collections.Concurrent;
using System.Diagnostics;

namespace WebFarm.Controller.Tests.MultiMachine;

/// <summary>`webfarm agent` as a real process inside a machine's namespace (`ip netns exec` execs dotnet in place, so
/// the process id is the agent's own and SIGSTOP freezes it).</summary>
internal sealed class AgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private bool _frozen;

    private AgentProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>What it printed so far (for failure messages).</summary>
    public string Output => string.Join('\n', _output);

    public static AgentProcess Start(string networkNamespace, params string[] agentArguments)
    {
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["netns", "exec", networkNamespace, "dotnet", RepositoryPaths.WebFarmDll, "agent", .. agentArguments])
        {
            start.ArgumentList.Add(arg);
        }

        return new AgentProcess(Process.Start(start) ?? throw new InvalidOperationException("could not start webfarm agent"));
    }

    public void Freeze()
    {
        ProcessProbe.Signal(_process.Id, "STOP");
        _frozen = true;
    }

    public void Thaw()
    {
        ProcessProbe.Signal(_process.Id, "CONT");
        _frozen = false;
    }

    public async ValueTask DisposeAsync()
    {
        await ProcessProbe.StopAsync(
            _process,
            () =>
            {
                if (_frozen)
                {
                    Thaw();
                }

                ProcessProbe.Signal(_process.Id, "TERM");
            },
            TimeSpan.FromSeconds(10));
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }
}
