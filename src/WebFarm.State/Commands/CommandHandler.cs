using WebFarm.State.Protocol;

namespace WebFarm.State.Commands;

internal delegate void CommandHandler(ClientSession client, scoped CommandArgs args);
