using System.Diagnostics;
using System.Globalization;

namespace HelloFarm.Endpoints;

/// <summary>
/// Endpoints for trying the balancer out: slow responses (in-flight requests, draining), CPU-bound work
/// (load-aware balancing) and arbitrary status codes (health checks, retries). Every input is bounded so
/// that a typo cannot tie a server up for hours.
/// </summary>
internal static class DiagnosticEndpoints
{
    public const int MaxSlowMilliseconds = 60_000;
    public const int MaxWorkMilliseconds = 10_000;

    public static IEndpointRouteBuilder MapDiagnosticEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/slow", SlowAsync);
        endpoints.MapGet("/work", Work);
        endpoints.MapGet("/status/{code}", Status);
        return endpoints;
    }

    /// <summary>Waits <c>ms</c> milliseconds without using a thread, then answers.</summary>
    private static async Task<IResult> SlowAsync(string? ms, CancellationToken aborted)
    {
        if (!TryParseMilliseconds(ms, MaxSlowMilliseconds, out var delay, out var error))
        {
            return error;
        }

        await Task.Delay(delay, aborted);
        return Results.Text($"slept {delay} ms\n");
    }

    /// <summary>
    /// Does <c>ms</c> milliseconds of CPU work (hashing, measured in the thread's CPU time where the OS gives it, else
    /// in wall time), then answers: a server with less CPU (a cgroup quota, a busy machine) takes longer for it.
    /// </summary>
    private static IResult Work(string? ms, CancellationToken aborted)
    {
        if (!TryParseMilliseconds(ms, MaxWorkMilliseconds, out var duration, out var error))
        {
            return error;
        }

        var stopwatch = Stopwatch.StartNew();
        var cpuStart = ThreadCpuTime.Now();
        var budget = TimeSpan.FromMilliseconds(duration);
        var buffer = new byte[64];
        var rounds = 0L;
        while (!aborted.IsCancellationRequested)
        {
            var used = cpuStart is { } start && ThreadCpuTime.Now() is { } now ? now - start : stopwatch.Elapsed;
            if (used >= budget)
            {
                break;
            }

            // Real work the JIT cannot remove: each round hashes the previous digest (a batch between clock reads).
            for (var i = 0; i < 64; i++)
            {
                System.Security.Cryptography.SHA256.HashData(buffer, buffer);
            }

            rounds += 64;
        }

        return Results.Text($"worked {duration} ms of CPU in {stopwatch.ElapsedMilliseconds} ms ({rounds} hashes)\n");
    }

    /// <summary>Answers with the given status code (100-599).</summary>
    private static IResult Status(string code)
    {
        if (!int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var status) || status is < 100 or > 599)
        {
            return Results.Text($"status: '{code}' is not an HTTP status code; expected a number from 100 to 599.\n", statusCode: StatusCodes.Status400BadRequest);
        }

        // Informational codes cannot end a response; answer with no body and let the server send them as-is.
        return status < 200 ? Results.StatusCode(status) : Results.Text($"status {status}\n", statusCode: status);
    }

    private static bool TryParseMilliseconds(string? text, int max, out int ms, out IResult error)
    {
        if (string.IsNullOrEmpty(text))
        {
            ms = 1000;
            error = null!;
            return true;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ms) || ms > max)
        {
            error = Results.Text($"ms: '{text}' is not a duration in milliseconds from 0 to {max}.\n", statusCode: StatusCodes.Status400BadRequest);
            return false;
        }

        error = null!;
        return true;
    }
}
