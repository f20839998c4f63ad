using System.IO.Pipelines;

namespace WebFarm.Balancer.Forwarding;

/// <summary>Pushes a response to the client through its pipe, for both client adapters.</summary>
internal static class ResponseFlush
{
    /// <summary>Flushes to the client; false when the client is gone.</summary>
    public static async ValueTask<bool> FlushAsync(PipeWriter writer, ExchangeCancellation exchange)
    {
        try
        {
            var result = await writer.FlushAsync(exchange.Token).ConfigureAwait(false);
            return !result.IsCompleted && !result.IsCanceled;
        }
        catch (Exception) when (!exchange.TimedOut)
        {
            return false;
        }
    }
}
