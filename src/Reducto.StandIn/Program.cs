namespace Reducto.StandIn;
public static class StandInProgram { public static void Main() { } }
