using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using WebFarm.Balancer.Hosting;
using WebFarm.Output;
using WebFarm.State.Hosting;
using WebFarm.State.Storage;
using WebFarm.Systemd;

namespace WebFarm.Commands;

/// <summary>`webfarm state`: parses options and hosts a <see cref="StateServer"/> until Ctrl+C or SIGTERM.</summary>
internal static class StateCommand
{
    public static Command Create()
    {
        // Values are taken as text and validated here, so every bad argument gets a specific message and exit code 2.
        var port = new Option<string>("--port") { Description = "TCP port to listen on (0 picks a free port).", DefaultValueFactory = _ => StateServerOptions.DefaultPort.ToString(CultureInfo.InvariantCulture) };
        var bind = new Option<string>("--bind") { Description = "IP address to listen on.", DefaultValueFactory = _ => "127.0.0.1" };
        var password = new Option<string?>("--password") { Description = "Require clients to AUTH with this password (also used towards the master)." };
        var maxMemory = new Option<string?>("--maxmemory") { Description = "Memory budget for data, e.g. 100mb; --maxmemory-policy says what a write that does not fit does. Default: unlimited." };
        var maxMemoryPolicy = new Option<string>("--maxmemory-policy") { Description = "noeviction (refuse writes with OOM), allkeys-lru, volatile-lru, allkeys-random, volatile-random or volatile-ttl.", DefaultValueFactory = _ => "noeviction" };
        var dir = new Option<string?>("--dir") { Description = "Directory for the append-only log. Without it, data is kept in memory only." };
        var fsync = new Option<string>("--appendfsync") { Description = "When the log is fsynced: everysec, always or no.", DefaultValueFactory = _ => "everysec" };
        var replicaOf = new Option<string?>("--replica-of") { Description = "Replicate from the master at host:port (read-only until REPLICAOF NO ONE)." };
        var command = new Command("state", "Run the session-state and cache server (Redis protocol, default port 42424).")
        {
            port, bind, password, maxMemory, maxMemoryPolicy, dir, fsync, replicaOf,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            if (!int.TryParse(parseResult.GetValue(port), NumberStyles.None, CultureInfo.InvariantCulture, out var portNumber) || portNumber > 65535)
            {
                return Fail($"--port '{parseResult.GetValue(port)}' is not a port number (0-65535).");
            }

            if (!System.Net.IPAddress.TryParse(parseResult.GetValue(bind), out _))
            {
                return Fail($"--bind '{parseResult.GetValue(bind)}' is not an IP address.");
            }

            long maxMemoryBytes = 0;
            if (parseResult.GetValue(maxMemory) is { } maxMemoryText && !ByteSize.TryParse(maxMemoryText, out maxMemoryBytes, out var sizeError))
            {
                return Fail($"--maxmemory {sizeError}");
            }

            if (!MaxMemoryPolicyName.TryParse(parseResult.GetValue(maxMemoryPolicy), out var evictionPolicy, out var policyError))
            {
                return Fail($"--maxmemory-policy {policyError}");
            }

            AppendFsyncPolicy policy;
            switch (parseResult.GetValue(fsync)?.ToLowerInvariant())
            {
                case "everysec":
                    policy = AppendFsyncPolicy.EverySec;
                    break;
                case "always":
                    policy = AppendFsyncPolicy.Always;
                    break;
                case "no":
                    policy = AppendFsyncPolicy.No;
                    break;
                default:
                    return Fail($"--appendfsync '{parseResult.GetValue(fsync)}' is not one of everysec, always, no.");
            }

            var master = parseResult.GetValue(replicaOf);
            if (master is not null && !HostPort.TryParse(master, out _, out _, out var masterError))
            {
                return Fail($"--replica-of {masterError}");
            }

            // Before the first socket exists: the runtime reads this switch once (see InlineSocketCompletions). The
            // state server never blocks a connection's thread (the store lock is held for one batch, the log has its
            // own writer thread), so like Redis it can run every connection on the socket engine's threads: measured
            // in bench/state, this cut CPU per pipelined command by 15-25% (no thread-pool hop per socket event).
            InlineSocketCompletions.EnableUnlessConfigured();
            using var loggerFactory = RoleLifetime.ConsoleLogging(LogLevel.Information);
            var options = new StateServerOptions
            {
                Port = portNumber,
                BindAddress = parseResult.GetValue(bind)!,
                Password = parseResult.GetValue(password),
                MaxMemoryBytes = maxMemoryBytes,
                MaxMemoryPolicy = evictionPolicy,
                Directory = parseResult.GetValue(dir),
                AppendFsync = policy,
                ReplicaOf = master,
                LoggerFactory = loggerFactory,
            };

            StateServer server;
            try
            {
                server = await StateServer.StartAsync(options, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return RoleLifetime.StoppedWhileStarting("state");
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or InvalidDataException or UnauthorizedAccessException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"webfarm state: cannot start: {ex.Message}");
                return ExitCodes.Failed;
            }

            loggerFactory.CreateLogger("WebFarm.State").LogInformation("Socket I/O: inline {Inline}", InlineSocketCompletions.Enabled ? "on" : "off");
            await using (server)
            {
                // SIGTERM (and Ctrl+C) cancel the token given to the action; disposing flushes the log.
                using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
                    System.Runtime.InteropServices.PosixSignal.SIGTERM,
                    context =>
                    {
                        context.Cancel = true;
                        SystemdNotifier.Current.Stopping("stopping");
                        _ = server.DisposeAsync().AsTask();
                    });
                SystemdNotifier.Current.Ready("listening");
                try
                {
                    await server.Completion.WaitAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    SystemdNotifier.Current.Stopping("stopping");
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"webfarm state: {message}");
        return ExitCodes.BadArguments;
    }
}
