using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace WebFarm.Systemd;

/// <summary>
/// sd_notify(3) for a role run by systemd as `Type=notify`: one datagram per state change to the unix socket named by
/// NOTIFY_SOCKET ("READY=1" once the role listens, "STOPPING=1" when it starts to stop, "RELOADING=1" around a config
/// reload). The roles are not IHost-based (each command hosts its role itself), so this is the protocol's few lines
/// rather than Microsoft.Extensions.Hosting.Systemd. Without NOTIFY_SOCKET (not under systemd) every call does nothing.
/// </summary>
internal sealed class SystemdNotifier : IDisposable
{
    private const string Variable = "NOTIFY_SOCKET";

    private static readonly Lazy<SystemdNotifier> ProcessNotifier = new(FromEnvironment);

    private readonly Socket? _socket;
    private readonly UnixDomainSocketEndPoint? _endPoint;
    private int _stopping;

    private SystemdNotifier(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        // '@' names a socket in the abstract namespace (systemd's own convention), which .NET spells with a leading NUL.
        _endPoint = new UnixDomainSocketEndPoint(path[0] == '@' ? "\0" + path[1..] : path);
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    }

    /// <summary>This process's notifier, made once from NOTIFY_SOCKET.</summary>
    public static SystemdNotifier Current => ProcessNotifier.Value;

    /// <summary>True when systemd (or a test standing in for it) listens.</summary>
    public bool Enabled => _socket is not null;

    /// <summary>The role accepts connections: systemd finishes `systemctl start` and starts units ordered after it.</summary>
    public void Ready(string status) => Send($"READY=1\nSTATUS={status}\nMAINPID={Environment.ProcessId}");

    /// <summary>The role begins its graceful stop (draining); sent once however many times stop is asked for.</summary>
    public void Stopping(string status)
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            Send($"STOPPING=1\nSTATUS={status}");
        }
    }

    /// <summary>A reload begins; <see cref="Ready"/> follows when it is done (MONOTONIC_USEC as Type=notify-reload wants it).</summary>
    public void Reloading()
        => Send($"RELOADING=1\nMONOTONIC_USEC={Stopwatch.GetTimestamp() / (Stopwatch.Frequency / 1_000_000)}");

    public void Dispose() => _socket?.Dispose();

    private static SystemdNotifier FromEnvironment()
    {
        var path = Environment.GetEnvironmentVariable(Variable);

        // As sd_notify's unset_environment: the apps an agent or `up` starts must not report for this unit.
        Environment.SetEnvironmentVariable(Variable, null);
        return new SystemdNotifier(path);
    }

    private void Send(string state)
    {
        if (_socket is null)
        {
            return;
        }

        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(state), _endPoint!);
        }
        catch (SocketException ex)
        {
            // systemd gone or the socket not ours to write: the role keeps running; systemd's start timeout says the rest.
            Console.Error.WriteLine($"webfarm: cannot notify systemd ({Variable}): {ex.Message}");
        }
    }
}
