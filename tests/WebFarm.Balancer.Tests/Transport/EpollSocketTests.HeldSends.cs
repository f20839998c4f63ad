using System.Net.Sockets;
using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.Tests.Transport;

/// <summary>
/// Sends held to the end of the loop's pass (EpollSocket.Held.cs): a small send made on the socket's loop thread
/// completes at once and is made in the sweep after the pass. Each test runs its sends inside a pass, in the
/// continuation of a receive that the peer's byte completes on the loop thread, and checks what the peer gets.
/// </summary>
public sealed partial class EpollSocketTests
{
    /// <summary>
    /// Runs <paramref name="action"/> on <paramref name="pair"/>'s loop thread, inside a pass: in the continuation of a
    /// one-byte receive that a byte from the peer completes. Returns what the action returned, once it has run.
    /// </summary>
    private static async Task<T> InPassAsync<T>(Pair pair, Func<EpollSocket, T> action)
    {
        var buffer = new byte[1];
        var waiting = pair.Epoll.ReceiveAsync(buffer);
        Assert.False(waiting.IsCompleted, "the peer sent nothing yet");
        var awaiter = waiting.ConfigureAwait(false).GetAwaiter();
        var ran = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        awaiter.UnsafeOnCompleted(() =>
        {
            try
            {
                Assert.Equal(1, awaiter.GetResult());
                Assert.StartsWith("WebFarm epoll", Thread.CurrentThread.Name);
                ran.SetResult(action(pair.Epoll));
            }
            catch (Exception ex)
            {
                ran.SetException(ex);
            }
        });
        await PeerSendAllAsync(pair.Peer, new byte[] { 1 });
        return await ran.Task.WaitAsync(Deadline);
    }

    /// <summary>
    /// Fills the kernel's buffers between the epoll socket and its peer (small SO_SNDBUF and SO_RCVBUF) with sends on
    /// the accepted socket's own descriptor, behind the epoll socket's back: its next send hits EAGAIN. Returns the bytes
    /// sent (the peer must read them first).
    /// </summary>
    private static byte[] FillKernelBuffers(Pair pair)
    {
        var raw = pair.Raw ?? throw new InvalidOperationException("needs the accepted end's socket");
        var filled = new MemoryStream();
        var chunk = Payload(1024, seed: 7);
        for (var i = 0; i < 100_000; i++)
        {
            var n = raw.Send(chunk, SocketFlags.None, out var error);
            if (error == SocketError.WouldBlock)
            {
                return filled.ToArray();
            }

            Assert.Equal(SocketError.Success, error);
            filled.Write(chunk, 0, n);
        }

        throw new InvalidOperationException("the kernel took 100 MB on a socket with small buffers");
    }

    private static async Task<Pair> ConnectSmallBuffersAsync()
    {
        var pair = await ConnectAsync(accepted: true);
        pair.Raw!.SendBufferSize = 4096;
        pair.Peer.ReceiveBufferSize = 4096;
        return pair;
    }

    private static byte[] Concat(params byte[][] parts)
    {
        var all = new MemoryStream();
        foreach (var part in parts)
        {
            all.Write(part);
        }

        return all.ToArray();
    }

    /// <summary>
    /// Fifty small sends in one pass are held (they complete at once, and the socket holds their bytes when the last one
    /// returns), then a send larger than a block goes out directly, after them: the peer gets all of it in order.
    /// </summary>
    [Fact]
    public async Task Small_sends_in_a_pass_are_held_and_a_large_send_goes_out_after_them()
    {
        using var pair = await ConnectAsync(accepted: true);
        var small = new byte[50][];
        for (var i = 0; i < small.Length; i++)
        {
            small[i] = Payload(40, seed: 100 + i);
        }

        var large = Payload(256 * 1024, seed: 2);
        var (held, sendingLarge) = await InPassAsync(pair, socket =>
        {
            foreach (var piece in small)
            {
                Assert.True(socket.SendAsync(piece).IsCompletedSuccessfully, "a held send completes at once");
            }

            var heldBytes = socket.HeldBytes;
            return (heldBytes, socket.SendAsync(large).AsTask());
        });

        Assert.Equal(50 * 40, held);
        var expected = Concat([.. small, large]);
        var received = new byte[expected.Length];
        var total = 0;
        while (total < received.Length)
        {
            var n = await pair.Peer.ReceiveAsync(received.AsMemory(total), SocketFlags.None).AsTask().WaitAsync(Deadline);
            Assert.True(n > 0, $"the stream ended after {total} bytes");
            total += n;
        }

        await sendingLarge.WaitAsync(Deadline);
        Assert.Equal(expected, received);
    }

    /// <summary>
    /// The sweep finds the kernel's buffers full (EAGAIN): the rest stays held and goes out when the peer reads, with no
    /// further call on the socket. Meanwhile the socket still holds it (nothing was lost or sent out of turn).
    /// </summary>
    [Fact]
    public async Task A_held_send_the_kernel_cannot_take_goes_out_when_the_peer_reads_with_no_further_call()
    {
        using var pair = await ConnectSmallBuffersAsync();
        var heldPayload = Payload(3000, seed: 3);
        var filled = await InPassAsync(pair, socket =>
        {
            var filled = FillKernelBuffers(pair);
            Assert.True(socket.SendAsync(heldPayload).IsCompletedSuccessfully, "a held send completes at once");
            return filled;
        });

        // The sweep ran right after the pass and could send nothing: the kernel's buffers are full until the peer reads.
        await Eventually.True(() => pair.Epoll.HeldBytes > 0, Deadline, "the sweep keeps what the kernel did not take");

        var expected = Concat(filled, heldPayload);
        var received = new byte[expected.Length];
        var total = 0;
        while (total < received.Length)
        {
            // Small reads: a slow reader, so the rest goes out over several EPOLLOUT reports.
            var n = await pair.Peer.ReceiveAsync(received.AsMemory(total, Math.Min(1024, received.Length - total)), SocketFlags.None).AsTask().WaitAsync(Deadline);
            Assert.True(n > 0, $"the stream ended after {total} of {expected.Length} bytes");
            total += n;
        }

        Assert.Equal(expected, received);
        await Eventually.True(() => !pair.Epoll.HoldsBlock, Deadline, "the block goes back once everything was sent");
    }

    /// <summary>
    /// The peer resets the connection after the send was held and before the sweep: the sweep's send fails, and the
    /// failure is reported to the next receive and the next send (the kernel reported it once, to the sweep).
    /// </summary>
    [Fact]
    public async Task A_held_send_that_fails_in_the_sweep_fails_the_next_receive_and_send()
    {
        using var pair = await ConnectAsync(accepted: true);
        var held = await InPassAsync(pair, socket =>
        {
            pair.Peer.LingerState = new LingerOption(true, 0);
            pair.Peer.Close();
            return socket.SendAsync(Payload(100, seed: 4)).IsCompletedSuccessfully;
        });

        Assert.True(held, "the send on the loop thread was held (completed at once)");
        var buffer = new byte[16];
        var receiveFailed = await Assert.ThrowsAsync<SocketException>(() => ReceiveAsync(pair.Epoll, buffer));
        Assert.True(receiveFailed.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown, receiveFailed.SocketErrorCode.ToString());
        var sendFailed = await Assert.ThrowsAsync<SocketException>(() => pair.Epoll.SendAsync(new byte[10]).AsTask().WaitAsync(Deadline));
        Assert.True(sendFailed.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown, sendFailed.SocketErrorCode.ToString());
        Assert.False(pair.Epoll.HoldsBlock);
    }

    /// <summary>
    /// Shutdown right after held sends, in the same pass: the peer gets every byte, then the end of the stream. With
    /// full kernel buffers the FIN waits for the held bytes, which go out as the peer reads; a Dispose right after the
    /// Shutdown (a graceful close, as EpollConnection makes it) waits for them too.
    /// </summary>
    [Theory]
    [InlineData(false, SocketShutdown.Send, false)]
    [InlineData(true, SocketShutdown.Send, false)]
    [InlineData(true, SocketShutdown.Both, true)]
    public async Task Shutdown_after_held_sends_delivers_every_byte_before_the_fin(bool kernelFull, SocketShutdown how, bool dispose)
    {
        using var pair = kernelFull ? await ConnectSmallBuffersAsync() : await ConnectAsync(accepted: true);
        var pieces = new byte[10][];
        for (var i = 0; i < pieces.Length; i++)
        {
            pieces[i] = Payload(300, seed: 200 + i);
        }

        var filled = await InPassAsync(pair, socket =>
        {
            var filled = kernelFull ? FillKernelBuffers(pair) : [];
            foreach (var piece in pieces)
            {
                Assert.True(socket.SendAsync(piece).IsCompletedSuccessfully, "a held send completes at once");
            }

            socket.Shutdown(how);
            if (dispose)
            {
                socket.Dispose();
            }

            return filled;
        });

        var received = await PeerReadToEndAsync(pair.Peer, filled.Length + 3000).WaitAsync(Deadline);
        Assert.Equal(Concat([filled, .. pieces]), received);
    }

    /// <summary>A socket that never sent, and one whose held sends all went out, hold no pool block.</summary>
    [Fact]
    public async Task An_idle_socket_holds_no_block()
    {
        using var pair = await ConnectAsync(accepted: true);
        Assert.False(pair.Epoll.HoldsBlock);

        var payload = Payload(500, seed: 5);
        var heldInPass = await InPassAsync(pair, socket =>
        {
            socket.SendAsync(payload);
            return socket.HoldsBlock;
        });

        Assert.True(heldInPass, "the send was held in a block during the pass");
        var received = new byte[payload.Length];
        var total = 0;
        while (total < received.Length)
        {
            var n = await pair.Peer.ReceiveAsync(received.AsMemory(total), SocketFlags.None).AsTask().WaitAsync(Deadline);
            Assert.True(n > 0);
            total += n;
        }

        Assert.Equal(payload, received);
        await Eventually.True(() => !pair.Epoll.HoldsBlock && pair.Epoll.HeldBytes == 0, Deadline, "the block goes back after the sweep");
    }
}
