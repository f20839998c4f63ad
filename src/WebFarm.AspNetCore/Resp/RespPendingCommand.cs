using System.Diagnostics;

namespace WebFarm.AspNetCore.Resp;

/// <summary>A command waiting for its reply. Replies arrive in send order, so pending commands sit in a FIFO.</summary>
internal sealed class RespPendingCommand : TaskCompletionSource<RespValue>
{
    private int _abandoned;

    public RespPendingCommand(RespCommand command)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Command = command;
    }

    public RespCommand Command { get; }

    /// <summary>Stopwatch timestamp when the bytes were handed to the socket writer; 0 while still queued.</summary>
    public long WrittenTimestamp { get; set; }

    public bool WasWritten => WrittenTimestamp != 0;

    /// <summary>The caller gave up (timeout or cancellation); if not yet written it is never sent.</summary>
    public bool IsAbandoned => Volatile.Read(ref _abandoned) != 0;

    public void Abandon() => Interlocked.Exchange(ref _abandoned, 1);

    public void MarkWritten() => WrittenTimestamp = Stopwatch.GetTimestamp();
}
