using System.Collections.Concurrent;
using System.Diagnostics;

namespace WebFarm.Agent.Supervision;

/// <summary>
/// Starts child processes so that they do not outlive us, even when we are killed with SIGKILL.
/// On Linux each child is launched through util-linux's <c>setsid</c> (its own session: a Ctrl+C in our
/// terminal reaches us, not the children, so we drain them in order instead of racing their exit) and
/// <c>setpriv --pdeathsig TERM</c> (the kernel sends the child SIGTERM when its parent dies).
/// The kernel's "parent" for PDEATHSIG is the thread that forked the child, not the process, so every
/// child is forked from one dedicated thread that lives as long as the process; a thread-pool thread
/// could retire and take the children with it.
/// Children also get WEBFARM_PARENT_PID, for apps that watch their parent themselves (other platforms).
/// </summary>
public sealed class ProcessSpawner
{
    public const string ParentPidVariable = "WEBFARM_PARENT_PID";

    private static readonly Lazy<ProcessSpawner> s_shared = new(() => new ProcessSpawner());

    private readonly BlockingCollection<(ProcessStartInfo StartInfo, TaskCompletionSource<Process> Result)> _queue = new();
    private readonly string? _setsid;
    private readonly string? _setpriv;

    private ProcessSpawner()
    {
        if (OperatingSystem.IsLinux())
        {
            _setsid = FindProgram("setsid");
            _setpriv = FindProgram("setpriv");
        }

        var thread = new Thread(Run) { IsBackground = true, Name = "WebFarm process spawner" };
        thread.Start();
    }

    public static ProcessSpawner Shared => s_shared.Value;

    /// <summary>True when children die with us even if we are SIGKILLed (Linux with util-linux).</summary>
    public bool HasParentDeathSignal => _setpriv is not null;

    /// <summary>Starts <paramref name="launch"/>; the returned process has its output redirected as asked.</summary>
    public Task<Process> StartAsync(AppLaunch launch, IReadOnlyDictionary<string, string> environment, bool redirectOutput)
    {
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentNullException.ThrowIfNull(environment);
        var startInfo = new ProcessStartInfo
        {
            UseShellExecute = false,
            WorkingDirectory = launch.WorkingDirectory,
            RedirectStandardInput = true, // Children must not read our terminal.
            RedirectStandardOutput = redirectOutput,
            RedirectStandardError = redirectOutput,
        };

        var arguments = startInfo.ArgumentList;
        if (_setsid is not null)
        {
            startInfo.FileName = _setsid;
            if (_setpriv is not null)
            {
                arguments.Add(_setpriv);
                arguments.Add("--pdeathsig");
                arguments.Add("TERM");
                arguments.Add("--");
            }

            arguments.Add(launch.FileName);
        }
        else
        {
            startInfo.FileName = launch.FileName;
        }

        foreach (var argument in launch.Arguments)
        {
            arguments.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        startInfo.Environment[ParentPidVariable] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var result = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        _queue.Add((startInfo, result));
        return result.Task;
    }

    private void Run()
    {
        foreach (var (startInfo, result) in _queue.GetConsumingEnumerable())
        {
            try
            {
                var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start '{startInfo.FileName}'.");
                result.SetResult(process);
            }
            catch (Exception ex)
            {
                result.SetException(ex);
            }
        }
    }

    private static string? FindProgram(string name)
    {
        foreach (var directory in new[] { "/usr/bin", "/bin", "/usr/sbin", "/sbin" })
        {
            var candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
