using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging.Abstractions;
using WebFarm.Balancer.Tests.Infrastructure;
using WebFarm.Balancer.Transport;

namespace WebFarm.Balancer.Tests.Transport;

/// <summary>
/// The Kestrel side of the epoll transport, used directly: the listener factory binds, accepts a plain .NET client,
/// and the test plays the application on the connection's pipes (bytes both ways, the client's FIN, a graceful end,
/// an abort, backpressure on input); plus the listener's bind/unbind contract and the pinned block pool.
/// </summary>
public sealed class EpollConnectionTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    // ---------------------------------------------------------------- helpers

    /// <summary>A bound listener, one accepted connection and the plain client socket at its other end.</summary>
    private sealed class Accepted(IConnectionListener listener, ConnectionContext connection, Socket client) : IAsyncDisposable
    {
        public IConnectionListener Listener { get; } = listener;

        public ConnectionContext Connection { get; } = connection;

        public Socket Client { get; } = client;

        public PipeReader Input => Connection.Transport.Input;

        public PipeWriter Output => Connection.Transport.Output;

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            Connection.Abort(new ConnectionAbortedException("test over"));
            await Connection.DisposeAsync().AsTask().WaitAsync(Deadline);
            await Listener.DisposeAsync();
        }
    }

    private static async Task<Accepted> AcceptAsync(Action<Socket>? configureClient = null)
    {
        var listener = await new EpollConnectionListenerFactory(NullLoggerFactory.Instance).BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        configureClient?.Invoke(client);
        await client.ConnectAsync(listener.EndPoint).WaitAsync(Deadline);
        var connection = await listener.AcceptAsync().AsTask().WaitAsync(Deadline);
        Assert.NotNull(connection);

        // As Kestrel's first middleware does at once: the loops start when the transport is first read (before that,
        // an https listener's TLS step may take the socket instead, TlsTerminationTests).
        _ = connection.Transport;
        return new Accepted(listener, connection, client);
    }

    private static byte[] Payload(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes from the connection's input.</summary>
    private static async Task<byte[]> ReadInputAsync(PipeReader input, int count)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        var result = await input.ReadAtLeastAsync(count, timeout.Token);
        Assert.True(result.Buffer.Length >= count, $"the input ended after {result.Buffer.Length} of {count} bytes");
        var bytes = result.Buffer.Slice(0, count).ToArray();
        input.AdvanceTo(result.Buffer.GetPosition(count));
        return bytes;
    }

    private static async Task<byte[]> ClientReadToEndAsync(Socket client)
    {
        var result = new MemoryStream();
        var buffer = new byte[16 * 1024];
        while (true)
        {
            var n = await client.ReceiveAsync(buffer, SocketFlags.None);
            if (n == 0)
            {
                return result.ToArray();
            }

            result.Write(buffer, 0, n);
        }
    }

    private static Task Fired(CancellationToken token)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(() => fired.TrySetResult());
        return fired.Task;
    }

    // ---------------------------------------------------------------- 9. both directions, the client's FIN

    [Fact]
    public async Task Bytes_flow_both_ways_and_the_clients_fin_completes_the_input_but_the_output_stays_open()
    {
        await using var c = await AcceptAsync();
        var closed = Fired(c.Connection.ConnectionClosed);
        Assert.Equal(c.Client.LocalEndPoint, c.Connection.RemoteEndPoint);

        var request = "hello from the client"u8.ToArray();
        await c.Client.SendAsync(request, SocketFlags.None);
        Assert.Equal(request, await ReadInputAsync(c.Input, request.Length));

        var response = "hello from the application"u8.ToArray();
        await c.Output.WriteAsync(response);
        var got = new byte[response.Length];
        var total = 0;
        while (total < got.Length)
        {
            var n = await c.Client.ReceiveAsync(got.AsMemory(total), SocketFlags.None).AsTask().WaitAsync(Deadline);
            Assert.True(n > 0, "the connection ended before the application's bytes arrived");
            total += n;
        }

        Assert.Equal(response, got);
        Assert.False(closed.IsCompleted, "ConnectionClosed fired while the client was still connected");

        c.Client.Shutdown(SocketShutdown.Send);
        var end = await c.Input.ReadAsync().AsTask().WaitAsync(Deadline);
        Assert.True(end.IsCompleted, "the client's FIN did not complete the input");
        Assert.True(end.Buffer.IsEmpty);
        c.Input.AdvanceTo(end.Buffer.End);

        // A half-close is not the client leaving: what was asked is still answered (issue 13), and only the end of
        // the connection fires ConnectionClosed.
        var answer = "answered after the half-close"u8.ToArray();
        await c.Output.WriteAsync(answer);
        var after = new byte[answer.Length];
        await c.Client.ReceiveAsync(after, SocketFlags.None).WaitAsync(Deadline);
        Assert.Equal(answer, after);
        Assert.False(closed.IsCompleted, "ConnectionClosed fired at the client's FIN");
        await c.Output.CompleteAsync();
        await closed.WaitAsync(Deadline);
    }

    // ---------------------------------------------------------------- 10. graceful end

    /// <summary>Completing the output sends everything written (4 MiB, far more than the output pipe holds) and then the FIN.</summary>
    [Fact]
    public async Task Completing_the_pipes_ends_the_connection_after_all_the_data()
    {
        await using var c = await AcceptAsync();
        var closed = Fired(c.Connection.ConnectionClosed);
        var data = Payload(4 * 1024 * 1024, 10);
        var reading = Task.Run(() => ClientReadToEndAsync(c.Client));

        for (var offset = 0; offset < data.Length; offset += 61_000)
        {
            await c.Output.WriteAsync(data.AsMemory(offset, Math.Min(61_000, data.Length - offset))).AsTask().WaitAsync(Deadline);
        }

        await c.Output.CompleteAsync();
        await c.Input.CompleteAsync();
        var received = await reading.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(data.Length, received.Length);
        Assert.True(data.AsSpan().SequenceEqual(received), "the client got different bytes");
        await closed.WaitAsync(Deadline);
        await c.Connection.DisposeAsync().AsTask().WaitAsync(Deadline);
    }

    // ---------------------------------------------------------------- 11. abort

    [Fact]
    public async Task Abort_ends_the_connection_and_fails_the_input_with_the_abort_reason()
    {
        await using var c = await AcceptAsync();
        var closed = Fired(c.Connection.ConnectionClosed);
        var reason = new ConnectionAbortedException("aborted by the test");

        c.Connection.Abort(reason);

        var ended = c.Client.ReceiveAsync(new byte[16], SocketFlags.None);
        try
        {
            Assert.Equal(0, await ended.WaitAsync(Deadline));
        }
        catch (SocketException ex)
        {
            Assert.Equal(SocketError.ConnectionReset, ex.SocketErrorCode);
        }

        var failed = await Assert.ThrowsAsync<ConnectionAbortedException>(() => c.Input.ReadAsync().AsTask().WaitAsync(Deadline));
        Assert.Same(reason, failed);
        await closed.WaitAsync(Deadline);
        await c.Connection.DisposeAsync().AsTask().WaitAsync(Deadline);
    }

    // ---------------------------------------------------------------- 12. backpressure

    /// <summary>
    /// An application that does not read: the transport stops receiving at the input pipe's limit (1 MiB), the kernel
    /// buffers fill, and the client's send stalls; reading then drains all 8 MiB intact.
    /// </summary>
    [Fact]
    public async Task Input_that_is_not_read_pushes_back_on_the_client()
    {
        const int Size = 8 * 1024 * 1024;
        await using var c = await AcceptAsync(client => client.SendBufferSize = 64 * 1024);
        var data = Payload(Size, 12);
        long sent = 0;
        var sending = Task.Run(async () =>
        {
            for (var offset = 0; offset < Size; offset += 64 * 1024)
            {
                var chunk = data.AsMemory(offset, Math.Min(64 * 1024, Size - offset));
                while (!chunk.IsEmpty)
                {
                    var n = await c.Client.SendAsync(chunk, SocketFlags.None);
                    chunk = chunk[n..];
                    Interlocked.Add(ref sent, n);
                }
            }

            c.Client.Shutdown(SocketShutdown.Send);
        });

        // Stalled: more than the input pipe holds has been sent, and nothing more goes out for a while.
        await Eventually.StallsAsync(() => Interlocked.Read(ref sent), 1024 * 1024, TimeSpan.FromSeconds(20), "the client's send never stalled");
        Assert.True(Interlocked.Read(ref sent) < Size, "the whole 8 MiB went out although nobody read the input");
        Assert.False(sending.IsCompleted);

        Assert.True(c.Input.TryRead(out var buffered), "nothing was received");
        Assert.True(buffered.Buffer.Length <= 2 * 1024 * 1024, $"{buffered.Buffer.Length} bytes buffered ahead of the application");
        c.Input.AdvanceTo(buffered.Buffer.Start);

        var received = new byte[Size];
        var total = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var result = await c.Input.ReadAsync(timeout.Token);
            foreach (var segment in result.Buffer)
            {
                Assert.True(total + segment.Length <= Size, "more bytes arrived than were sent");
                segment.Span.CopyTo(received.AsSpan(total));
                total += segment.Length;
            }

            c.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        await sending.WaitAsync(Deadline);
        Assert.Equal(Size, total);
        Assert.True(data.AsSpan().SequenceEqual(received), "the drained bytes differ from what the client sent");
    }

    // ---------------------------------------------------------------- 13. listener

    [Fact]
    public async Task Binding_a_port_in_use_throws_address_in_use()
    {
        var factory = new EpollConnectionListenerFactory(NullLoggerFactory.Instance);
        await using var first = await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));

        await Assert.ThrowsAsync<AddressInUseException>(async () => await factory.BindAsync(first.EndPoint));
    }

    [Fact]
    public async Task Unbind_makes_a_waiting_and_a_later_accept_return_null()
    {
        var factory = new EpollConnectionListenerFactory(NullLoggerFactory.Instance);
        await using var listener = await factory.BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var waiting = listener.AcceptAsync();
        Assert.False(waiting.IsCompleted);

        await listener.UnbindAsync();

        Assert.Null(await waiting.AsTask().WaitAsync(Deadline));
        Assert.Null(await listener.AcceptAsync().AsTask().WaitAsync(Deadline));
    }

    // ---------------------------------------------------------------- 14. pinned block pool

    [Fact]
    public async Task Idle_keep_alive_connections_hold_no_pool_block_once_the_application_has_read_their_input()
    {
        // Issue 12: with 10,000 idle keep-alive clients every receive loop held a 4 KiB block while waiting, 41 MB.
        const int Connections = 20;
        using var pool = new PinnedBlockPool();
        await using var listener = await new EpollConnectionListenerFactory(NullLoggerFactory.Instance, pool).BindAsync(new IPEndPoint(IPAddress.Loopback, 0));
        var clients = new List<Socket>();
        var connections = new List<ConnectionContext>();
        try
        {
            for (var i = 0; i < Connections; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                clients.Add(client);
                await client.ConnectAsync(listener.EndPoint).WaitAsync(Deadline);
                var connection = await listener.AcceptAsync().AsTask().WaitAsync(Deadline);
                Assert.NotNull(connection);
                connections.Add(connection);
                await client.SendAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray(), SocketFlags.None).WaitAsync(Deadline);
                await ReadInputAsync(connection.Transport.Input, 27);
            }

            // Every request was read; the connections now wait for their next one.
            await Eventually.True(() => pool.BlocksInUse == 0, Deadline, $"idle connections hold {pool.BlocksInUse} blocks");

            // And a later request on an idle connection still arrives whole.
            await clients[7].SendAsync("next"u8.ToArray(), SocketFlags.None).WaitAsync(Deadline);
            Assert.Equal("next"u8.ToArray(), await ReadInputAsync(connections[7].Transport.Input, 4));
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }

            foreach (var connection in connections)
            {
                connection.Abort(new ConnectionAbortedException("test over"));
                await connection.DisposeAsync().AsTask().WaitAsync(Deadline);
            }
        }
    }

    [Fact]
    public void Pinned_block_pool_hands_out_4_KiB_blocks_refuses_larger_ones_and_reuses_returned_blocks()
    {
        // A pool of its own: the shared instance is in use by other tests' connections.
        using var pool = new PinnedBlockPool();
        Assert.Equal(4096, pool.MaxBufferSize);

        var block = pool.Rent();
        Assert.Equal(4096, block.Memory.Length);
        Assert.Equal(4096, pool.Rent(4096).Memory.Length);
        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(4097));
        Assert.Equal("minBufferSize", refused.ParamName);

        Assert.True(MemoryMarshal.TryGetArray<byte>(block.Memory, out var first));
        block.Dispose();
        var again = pool.Rent(100);
        Assert.True(MemoryMarshal.TryGetArray<byte>(again.Memory, out var second));
        Assert.Same(first.Array, second.Array);
        Assert.Equal(4096, again.Memory.Length);
    }
}
