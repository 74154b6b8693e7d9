namespace AttentionGen.Generator.Emit;

/// <summary>
/// The one-thread-at-a-time check every layer instance makes: a field, and one statement at the start of a call's work
/// (after the argument checks, so a bad argument never marks the instance busy) that holds it until the call ends.
/// </summary>
internal static class ExclusiveUseEmitter
{
    public const string Field = "_exclusiveUse";

    public static void EmitField(SourceWriter w)
    {
        w.Line("// Held while a call runs: a second thread entering this instance throws rather than sharing its scratch.");
        w.Line($"private {Names.ExclusiveUse} {Field};");
    }

    public static void EmitEnter(SourceWriter w) => w.Line($"using var busy = {Field}.Enter(this);");
}
