using System.Text.RegularExpressions;
using AttentionGen.Tests.Kernels;
using AttentionGen.Tests.SimdPaths;
using Xunit.Abstractions;

namespace AttentionGen.Tests.Jit;

/// <summary>
/// The generated kernels compile the way they were written to: the numeric tests run in a child process that dumps the
/// JIT's code for the hot generated methods, and every listing must be fully optimized, with no call and no stack
/// access (a spill or reload) inside its innermost loops.
/// </summary>
[Trait("Category", "Jit")]
public sealed partial class JitDisassemblyTests(ITestOutputHelper output)
{
    [Fact]
    public void HotGeneratedKernels_AreOptimized_WithCallFreeSpillFreeInnerLoops()
    {
        string width = HardwarePathTests.CurrentPath;
        string[] methods = width == "scalar"
            ? ["DotRowsScalar", "WeightedSumScalar"]
            : [
                // The tiles' register blocks (their driver calls the softmax per row, as it should). Weigh's own loop is
                // there only for heads of one vector; the P·V blocks of other heads are in its three callees.
                .. TileKernels.Where(kernel => width == "512" || kernel != "WeighSixRows"),
                // The row path: stacked heads where the machine has the registers for them (on AVX-512 a group's whole
                // stacks from packed queries), head by head elsewhere.
                .. (width == "128" ? Array.Empty<string>() : [$"ScoreKeysStacked{width}", $"WeighStack{width}"]),
                .. (width == "512" ? ["ScoreKeysPacked512"] : Array.Empty<string>()),
                $"DotRows{width}", $"WeightedSum{width}",
                // The runtime kernels between the tiles; only AVX-512 packs Kᵀ sixteen keys at a time, and only its tile
                // softmaxes six rows at once (in base 2 when there is no mask or softcap, as every tile does).
                "PackTransposedUnchecked", .. (width == "512" ? ["TransposeRowBlock", "SoftmaxPrefixSixRows", "SoftmaxBase2", "ExpPrefix"] : new[] { "SoftmaxBase2" }),
            ];

        // Below AVX-512 the base-2 softmax is checked for calls only: the exp polynomial's constants, the values and the
        // running sum need more than the 16 vector registers of AVX2 and SSE, so its loops reload a constant or two from
        // the stack there (ExpPrefix, not checked there, keeps its second sum on the stack as well). A call is another
        // matter: with its six-row code the JIT's inline budget ran out and left its masked powers and reciprocal as
        // calls, around which the running sum was spilled every vector (Zen 3: 10% of `sdpa H8 S128`). On AVX-512
        // machines the narrow tiles run their base-2 softmax on Vector512, but a Vector256 copy may still be compiled for
        // them, so only the Vector512 copies are checked there.
        // One test class: xunit runs a class's tests one at a time, so no two threads JIT kernels at once and the
        // listings in the file cannot interleave. Its layers exercise every kernel the emitter writes.
        AssertListings(
            "FullyQualifiedName~ScaledDotProductNumericTests", methods, withoutOwnLoops: ["Weigh"],
            vector512Only: width == "512" ? ["SoftmaxBase2"] : null, callsOnly: width == "512" ? null : ["SoftmaxBase2"]);

        // The row path's stacks of query rows, in their own child run: its test class calls them on every shape they take.
        if (width is "512" or "256")
        {
            AssertListings(
                "FullyQualifiedName~RowStackingTests",
                [$"ScoreRowStack{width}", $"WeighStack{width}", $"WeighValueRowBlocks{width}", .. (width == "256" ? ["ScoreRowPairs256", "WeighRowColumns256"] : Array.Empty<string>())]);
        }
    }

    [Fact]
    public void TileKernels_InnerLoops_SpendAtMostFourIntegerInstructions()
    {
        // On cores whose vector FMAs share ports with integer work (Intel's), every integer instruction in a tile's
        // inner loop costs FMA throughput. The loops need four: a pointer advanced by a constant, the index or counter,
        // and the compare-and-branch. Key indices as int and per-row offsets computed from them cost 15 in the P·V loop
        // (a sign extension and an add per weight row), and the panel column recomputed from d cost 6 in QKᵀ's.
        if (HardwarePathTests.CurrentPath == "scalar")
        {
            return;
        }

        string listingPath = Path.Combine(Path.GetTempPath(), $"attentiongen-jit-{Guid.NewGuid():N}.txt");
        try
        {
            var (exitCode, log) = ChildTestRun.Run(
                "FullyQualifiedName~TiledAttentionTests",
                new Dictionary<string, string> { ["DOTNET_JitDisasm"] = string.Join(' ', TileKernels), ["DOTNET_JitStdOutFile"] = listingPath });
            Assert.True(exitCode == 0, log);

            int loops = 0;
            foreach (var (method, body) in Listings(File.ReadAllText(listingPath)))
            {
                // Weigh calls its blocks, compiled apart on purpose; any other call is an inlinee the JIT gave up on.
                var calls = body.Split('\n').Where(line => line.Contains("call ", StringComparison.Ordinal) && !TileKernels.Any(k => line.Contains(":" + k + "(", StringComparison.Ordinal))).ToList();
                Assert.True(calls.Count == 0, $"{method} calls out:\n{string.Join('\n', calls)}");
                foreach (var loop in InnermostLoops(body.Split('\n')))
                {
                    var integer = IntegerInstructions(loop);
                    Assert.True(integer.Count <= MaxIntegerInstructionsPerFmaLoop, $"{method}: {integer.Count} integer instructions in an inner loop:\n{string.Join('\n', integer)}");
                    loops++;
                }
            }

            Assert.True(loops > 0, "No tile loops in the listing.");
            output.WriteLine($"{loops} inner loops checked.");
        }
        finally
        {
            File.Delete(listingPath);
        }
    }

    /// <summary>
    /// The tile kernels: QKᵀ, and P·V with its blocks (whole ones, a tail, a tail split so that an overlapping vector shares
    /// its block, and two keys per vector for heads of 8, on Vector512 only).
    /// </summary>
    private static readonly string[] TileKernels = ["Score", "Weigh", "WeighWholeBlocks", "WeighTail", "WeighSplitTail", "WeighSixRows"];

    /// <summary>
    /// A loop's instructions that touch no vector or mask register: its integer (and scalar) work. Prefetch hints are not
    /// counted: they issue on the load ports, not the ALU ports the FMAs share.
    /// </summary>
    private static List<string> IntegerInstructions(string[] loop) =>
        loop.Where(IsInstruction)
            .Where(line => !VectorRegister().IsMatch(line) && Mnemonic().Match(line).Groups[1].Value is not ("nop" or "prefetcht0" or "prefetcht1" or "prefetcht2" or "prefetchnta"))
            .Select(line => line.Trim()).ToList();

    private static bool IsInstruction(string line) =>
        line.StartsWith("       ", StringComparison.Ordinal) && line.Trim() is { Length: > 0 } text && !text.StartsWith(';') && !text.StartsWith("align", StringComparison.Ordinal);

    [Fact]
    public void BlockKernels_AreOptimized_WithCallFreeSpillFreeInnerLoops()
    {
        // LayerNorm's row loops (one per vector width the tests' rows reach, and the scalar one for rows narrower than a
        // vector) and GELU's element loops; each child run is one test class, as above.
        AssertListings("FullyQualifiedName~NormKernelsTests", ["LayerNormRows"]);

        // Not checked without SIMD: there MathF.Floor in the scalar VectorMath.Exp is a call (no SSE4.1 round).
        if (HardwarePathTests.CurrentPath != "scalar")
        {
            AssertListings("FullyQualifiedName~ActivationKernelsTests", ["GeluErf"]);
        }

        // The GEMM's two-vector tile and row pass, which only the narrower paths compile (AVX-512's are checked below):
        // the tile's 6 × 2 accumulators fill 15 of AVX2's and SSE's 16 registers, so a spill would show here first.
        if (HardwarePathTests.CurrentPath is "256" or "128")
        {
            string width = HardwarePathTests.CurrentPath;
            AssertListings("FullyQualifiedName~PackedLinearTests", [$"MultiplyTile{width}", $"MultiplyRow{width}"]);
        }
    }

    [Fact]
    public void RopeKernel_IsOptimized_WithCallFreeSpillFreeInnerLoops()
    {
        // The width loops and the one-pair-at-a-time tail are all inlined into RotateHalf; the tests' r/2 values reach
        // every width and the tail.
        AssertListings("FullyQualifiedName~RopeKernelsTests", ["RotateHalf"]);
    }

    [Fact]
    public void Avx512FmaLoops_CarryNoIntegerWorkButTheirCounters()
    {
        // On Intel the 512-bit FMAs issue only on ports 0 and 5, which also take scalar integer work: every sign
        // extension or address computation left in an FMA loop costs FMA throughput there. Each innermost loop with a
        // 512-bit FMA may keep at most an index step, one pointer step, a compare and the branch.
        if (HardwarePathTests.CurrentPath != "512")
        {
            return; // the bound is about the AVX-512 loops; the other paths' listings are checked above for calls and spills
        }

        // One test class per child run: classes run in parallel, and two threads compiling at once interleave their
        // listings in the file (seen: a float GEMM listing cut through by the bfloat16 tile's).
        AssertIntegerWorkInFmaLoops("FullyQualifiedName~PackedLinearTests", ["MultiplyTile512", "MultiplyRow512"]);
        AssertIntegerWorkInFmaLoops("FullyQualifiedName~PackedLinearBfloat16Tests", ["MultiplyTile512", "MultiplyRow512"]);
        var attention = AssertIntegerWorkInFmaLoops(
            "FullyQualifiedName~ScaledDotProductNumericTests", ["SoftmaxPrefixSixRows", "SoftmaxBase2", "ExpPrefix", "WeighStack512", "ScoreKeysPacked512", "DotRows512", "WeightedSum512"]);
        AssertIntegerWorkInFmaLoops("FullyQualifiedName~RowStackingTests", ["ScoreRowStack512", "WeighStack512", "WeighValueRowBlocks512"]);

        // The exp's flush to 0 (n below −125) masks the scale itself. Were the compare's mask turned into a vector and
        // selected after (vpmovm2d, vpternlogd), the softmax would spend two instructions more per vector: 1–1.5% of a
        // prefill's time on Zen 4.
        foreach (var (method, body) in attention.Where(l => Names(l.Method, "SoftmaxBase2") || Names(l.Method, "ExpPrefix")))
        {
            foreach (var loop in InnermostLoops(body.Split('\n')).Where(loop => loop.Any(line => line.Contains("vscalefps", StringComparison.Ordinal))))
            {
                var unmasked = loop.Where(line => line.Contains("vpmovm2d", StringComparison.Ordinal)
                    || (line.Contains("vscalefps", StringComparison.Ordinal) && !line.Contains("}{z}", StringComparison.Ordinal))).ToList();
                Assert.True(unmasked.Count == 0, $"{method}: the exp's scale is not masked by its compare:\n{string.Join('\n', unmasked)}");
            }
        }

        Assert.Contains(attention, l => Names(l.Method, "SoftmaxBase2") && l.Body.Contains("vscalefps", StringComparison.Ordinal));
    }

    private const int MaxIntegerInstructionsPerFmaLoop = 4;

    private List<(string Method, string Body)> AssertIntegerWorkInFmaLoops(string filter, string[] methods)
    {
        var listings = CompiledListings(filter, methods);
        foreach (var method in methods)
        {
            // Every named kernel must have at least one 512-bit FMA loop, or a parser that found none would pass it.
            Assert.Contains(listings, l => Names(l.Method, method) && InnermostLoops(l.Body.Split('\n')).Any(IsZmmFmaLoop));
        }

        foreach (var (method, body) in listings)
        {
            // A GEMM tile that asks for the next panel ahead (its TAhead is not Count0) advances the hints' pointer too,
            // and computes the second line's address (the JIT folds no displacement into a prefetch): two more. Only the
            // second and third tiles of calls of 13 to 24 rows run it. The row path's stacked weigh kernel does the same
            // for the value rows ahead of it.
            bool asksAhead = (method.Contains(":MultiplyTile512[", StringComparison.Ordinal) && !method.Contains("Count0,", StringComparison.Ordinal))
                || Names(method, "WeighStack512");
            int bound = asksAhead ? MaxIntegerInstructionsPerFmaLoop + 2 : MaxIntegerInstructionsPerFmaLoop;
            foreach (var loop in InnermostLoops(body.Split('\n')).Where(IsZmmFmaLoop))
            {
                var integer = IntegerInstructions(loop);
                output.WriteLine($"{method}: {integer.Count} integer instructions ({string.Join(' ', integer)})");
                Assert.True(
                    integer.Count <= bound,
                    $"{method}: an FMA loop has {integer.Count} integer instructions ({string.Join(' ', integer)}):\n{string.Join('\n', loop)}");
            }
        }

        return listings;

        static bool IsZmmFmaLoop(string[] loop) => loop.Any(line => line.Contains("vfmadd", StringComparison.Ordinal) && line.Contains("zmm", StringComparison.Ordinal));
    }

    /// <param name="vector512Only">Kernels generic over the vector width whose narrower copies are left unchecked.</param>
    /// <param name="callsOnly">Kernels whose inner loops may touch the stack but must not call.</param>
    private void AssertListings(string filter, string[] methods, string[]? withoutOwnLoops = null, string[]? vector512Only = null, string[]? callsOnly = null)
    {
        var listings = CompiledListings(filter, methods)
            .Where(l => !(vector512Only ?? []).Any(m => Names(l.Method, m) && !l.Method.Contains("Vector512Width", StringComparison.Ordinal)))
            .ToList();
        foreach (var method in methods)
        {
            Assert.Contains(listings, l => Names(l.Method, method));
        }

        foreach (var method in methods.Except(withoutOwnLoops ?? []))
        {
            // A grouped layer's ScoreKeys/WeighValues can be a bare call on paths without the stacked kernel, but every
            // kernel name has loops in some listing (and a parser that found none would pass everything).
            Assert.Contains(listings, l => Names(l.Method, method) && InnermostLoops(l.Body.Split('\n')).Any());
        }

        foreach (var (method, body) in listings)
        {
            Assert.True(body.Contains("; FullOpts code") || body.Contains("; Tier1 code"), $"{method} was not fully optimized.");
            Regex forbidden = (callsOnly ?? []).Any(m => Names(method, m)) ? Call() : CallOrStack();
            foreach (var loop in InnermostLoops(body.Split('\n')))
            {
                var offending = loop.Where(line => forbidden.IsMatch(line)).ToList();
                Assert.True(offending.Count == 0, $"{method}: inner loop has calls or stack traffic:\n{string.Join('\n', offending)}");
            }
        }

        output.WriteLine($"{listings.Count} listings checked: {string.Join(", ", listings.Select(l => l.Method).Distinct())}");
    }

    /// <summary>The JIT's listings of <paramref name="methods"/>, compiled while a child run executes the tests <paramref name="filter"/> selects.</summary>
    private static List<(string Method, string Body)> CompiledListings(string filter, string[] methods)
    {
        string listingPath = Path.Combine(Path.GetTempPath(), $"attentiongen-jit-{Guid.NewGuid():N}.txt");
        try
        {
            var (exitCode, log) = ChildTestRun.Run(
                filter,
                new Dictionary<string, string> { ["DOTNET_JitDisasm"] = string.Join(' ', methods), ["DOTNET_JitStdOutFile"] = listingPath });
            Assert.True(exitCode == 0, log);
            return Listings(File.ReadAllText(listingPath)).ToList();
        }
        finally
        {
            File.Delete(listingPath);
        }
    }

    /// <summary>Whether a listing's header names <paramref name="method"/>, generic (<c>:ScoreStack512[Count4](</c>) or not.</summary>
    private static bool Names(string header, string method) =>
        header.Contains(":" + method + "(", StringComparison.Ordinal) || header.Contains(":" + method + "[", StringComparison.Ordinal);

    private static IEnumerable<(string Method, string Body)> Listings(string text)
    {
        foreach (var part in text.Split("; Assembly listing for method ").Skip(1))
        {
            yield return (part[..part.IndexOf('\n')], part);
        }
    }

    /// <summary>
    /// Loops are the spans from a label to a backward jump to it (leaving out spans that return); innermost ones contain
    /// no other loop.
    /// </summary>
    private static IEnumerable<string[]> InnermostLoops(string[] lines)
    {
        var labels = new Dictionary<string, int>();
        var loops = new List<(int Start, int End)>();
        for (int i = 0; i < lines.Length; i++)
        {
            var label = Label().Match(lines[i]);
            if (label.Success)
            {
                labels[label.Groups[1].Value] = i;
            }

            var jump = Jump().Match(lines[i]);
            if (jump.Success && labels.TryGetValue(jump.Groups[1].Value, out var start)
                // The JIT sometimes lays a loop's exit path (through the epilogue) behind a backward branch; a span that
                // returns is that path, not a loop body.
                && !lines[start..i].Any(line => line.TrimStart().StartsWith("ret", StringComparison.Ordinal)))
            {
                loops.Add((start, i));
            }
        }

        return loops
            .Where(loop => !loops.Any(other => other != loop && other.Start >= loop.Start && other.End <= loop.End))
            .Select(loop => lines[loop.Start..(loop.End + 1)]);
    }

    [GeneratedRegex(@"^(G_M\d+_IG\d+):")]
    private static partial Regex Label();

    [GeneratedRegex(@"^\s+j\w+\s+(?:SHORT\s+)?(G_M\d+_IG\d+)")]
    private static partial Regex Jump();

    [GeneratedRegex(@"^\s+([a-z][a-z0-9]*)\b")]
    private static partial Regex Mnemonic();

    [GeneratedRegex(@"\bcall\b|\[(rsp|rbp)[+-]")]
    private static partial Regex CallOrStack();

    [GeneratedRegex(@"\bcall\b")]
    private static partial Regex Call();

    [GeneratedRegex(@"\b[xyz]mm\d+\b|\bk[0-7]\b")]
    private static partial Regex VectorRegister();
}
