namespace WebFarm.State.Protocol;

internal enum ParseStatus
{
    Complete,
    Incomplete,
    Error,
}
