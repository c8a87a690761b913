namespace Reducto.StandIn;

// No top-level statements: the test project references this assembly and the gateway's, and both would
// otherwise define a global Program.
public static class StandInProgram
{
    public static Task Main(string[] args) => StandInServer.RunAsync(args);
}
