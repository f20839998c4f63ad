namespace WebFarm.State.Commands;

/// <summary>Parses the EX/PX/EXAT/PXAT arguments shared by SET and GETEX into an absolute Unix-ms time.</summary>
internal static class ExpiryOption
{
    public enum Result
    {
        NotAnExpiry,
        Ok,
        NotInteger,
        Invalid,
    }

    /// <summary>
    /// Parses the option like <see cref="TryParse"/> and, when it is not a valid expiry, answers the client with
    /// Redis's error for <paramref name="command"/>.
    /// </summary>
    /// <returns>False when an error reply was written and the command must stop.</returns>
    public static bool TryParseOrReply(ClientSession c, ReadOnlySpan<byte> option, ReadOnlySpan<byte> value, string command, out long expireAtMs)
    {
        switch (TryParse(option, value, c.Store.NowMs, out expireAtMs))
        {
            case Result.NotInteger:
                c.Reply.Error(ErrorReplies.NotInteger);
                return false;
            case Result.Invalid:
                c.Reply.Error(ErrorReplies.InvalidExpire(command));
                return false;
            default:
                return true;
        }
    }

    public static Result TryParse(ReadOnlySpan<byte> option, ReadOnlySpan<byte> value, long nowMs, out long expireAtMs)
    {
        expireAtMs = 0;
        bool seconds;
        bool relative;
        if (Text.Is(option, "EX"u8))
        {
            seconds = true;
            relative = true;
        }
        else if (Text.Is(option, "PX"u8))
        {
            seconds = false;
            relative = true;
        }
        else if (Text.Is(option, "EXAT"u8))
        {
            seconds = true;
            relative = false;
        }
        else if (Text.Is(option, "PXAT"u8))
        {
            seconds = false;
            relative = false;
        }
        else
        {
            return Result.NotAnExpiry;
        }

        if (!Text.TryLong(value, out var amount))
        {
            return Result.NotInteger;
        }

        if (amount <= 0 || (seconds && amount > long.MaxValue / 1000))
        {
            return Result.Invalid;
        }

        var ms = seconds ? amount * 1000 : amount;
        if (relative)
        {
            if (ms > long.MaxValue - nowMs)
            {
                return Result.Invalid;
            }

            ms += nowMs;
        }

        expireAtMs = ms;
        return Result.Ok;
    }

    public static bool IsExpiryKeyword(ReadOnlySpan<byte> option)
        => Text.Is(option, "EX"u8) || Text.Is(option, "PX"u8) || Text.Is(option, "EXAT"u8) || Text.Is(option, "PXAT"u8);
}
