using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace WebFarm.AspNetCore.Hosting;

/// <summary>
/// Holds shutdown for <see cref="WebFarmOptions.DrainDelay"/> after it began and before Kestrel stops. Why: the
/// health endpoint answers 503 ("drain") from the first moment of shutdown, but Kestrel closes its listener and its
/// idle kept-alive connections as soon as it stops, so without this pause no health check ever sees that 503; it
/// sees refused connections. During the pause the app keeps accepting and serving, and a balancer polling the
/// health endpoint takes the server out of rotation before its connections are refused.
/// </summary>
internal sealed class DrainDelayService(WebFarmOptions options, TimeProvider time, ILogger<DrainDelayService> logger) : IHostedLifecycleService
{
    private int _began;

    /// <summary>
    /// True once the host began stopping its services. The drain check reads it besides ApplicationStopping: a
    /// SIGTERM signals ApplicationStopping first, but a direct <c>StopAsync</c> signals it only after this pause.
    /// </summary>
    public bool ShutdownBegan => Volatile.Read(ref _began) != 0;

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // Runs before any hosted service (Kestrel's included) stops; once: a second StopAsync does not pause again.
        if (Interlocked.Exchange(ref _began, 1) != 0 || options.DrainDelay <= TimeSpan.Zero)
        {
            return;
        }

        logger.LogInformation("Shutting down: {HealthPath} answers 503 and requests are still served for {DrainDelay} before the listener closes", options.HealthPath, options.DrainDelay);
        try
        {
            await Task.Delay(options.DrainDelay, time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The host's shutdown timeout, or a forced stop, ends the pause early.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
