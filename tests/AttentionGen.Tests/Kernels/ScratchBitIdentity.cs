using System.Runtime.Intrinsics;
using AttentionGen.Kernels;
using AttentionGen.Kernels.Attention;
using AttentionGen.Tests.Numeric;
using AttentionGen.Tests.Reference;

namespace AttentionGen.Tests.Kernels;

public sealed class ScratchBitIdentity(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void MatchesGeneratedBitForBit()
    {
        int n = 0;
        n += Check<ScaledShape>(new SdpaScaled(), [(20, 140), (7, 65), (6, 64), (13, 100)]);
        n += Check<CausalGqaShape>(new SdpaCausalGqa(), [(40, 40), (13, 29), (29, 13), (2, 40)]);
        n += Check<SoftcapShape>(new SdpaSoftcap(), [(16, 16), (5, 9), (4, 16)]);
        n += Check<OnlineCausalGqaShape>(new SdpaOnlineCausalGqa(), [(14, 1300), (3, 1100), (11, 700)]);
        n += Check<OnlineSoftcapShape>(new SdpaOnlineSoftcap(), [(8, 1100), (6, 1030), (7, 300)]);
        output.WriteLine($"{n} comparisons bit-identical");
    }

    private static int Check<TShape>(IScaledDotProduct layer, (int SeqLen, int KvSeqLen)[] cases) where TShape : struct, IAttentionShape
    {
        int count = 0;
        foreach (var (seqLen, kvSeqLen) in cases)
        {
            foreach (bool masked in new[] { false, true })
            {
                int qw = TShape.Heads * TShape.HeadDim, kw = TShape.KvHeads * TShape.HeadDim;
                var q = TestData.Uniform(seqLen + 1, seqLen * qw);
                var k = TestData.Uniform(kvSeqLen + 2, kvSeqLen * kw);
                var v = TestData.Uniform(kvSeqLen + 3, kvSeqLen * kw);
                float[] mask = masked ? Masks.Padding(seqLen, seqLen, kvSeqLen) : [];
                var expected = new float[seqLen * qw];
                if (masked) layer.Forward(q, k, v, mask, expected, seqLen, kvSeqLen); else layer.Forward(q, k, v, expected, seqLen, kvSeqLen);
                var actual = new float[seqLen * qw];
                var scores = new AlignedBuffer(AttentionCore<TShape>.ScoreScratchLength);
                var panels = new AlignedBuffer(AttentionCore<TShape>.KeyPanelScratchLength);
                int pairs = seqLen * (TShape.Heads / TShape.KvHeads);
                if (Vector512.IsHardwareAccelerated && TShape.PanelKeys512 > 0) { Assert.True(pairs >= 6); TiledAttention<TShape>.Attend512(q, k, v, mask, actual, seqLen, kvSeqLen, scores.Span, panels.Span); }
                else if (Vector256.IsHardwareAccelerated && TShape.HasTile256) { Assert.True(pairs >= 6); TiledAttention<TShape>.Attend256(q, k, v, mask, actual, seqLen, kvSeqLen, scores.Span, panels.Span); }
                else { Assert.True(pairs >= 4); TiledAttention<TShape>.Attend128(q, k, v, mask, actual, seqLen, kvSeqLen, scores.Span, panels.Span); }
                for (int i = 0; i < actual.Length; i++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(actual[i]) == BitConverter.SingleToInt32Bits(expected[i]), $"{typeof(TShape).Name} {seqLen}x{kvSeqLen} masked={masked} [{i}]: {actual[i]:R} vs {expected[i]:R}");
                }
                count++;
            }
        }
        return count;
    }

    private struct ScaledShape : IAttentionShape
    {
        public static int Heads => 2; public static int KvHeads => 2; public static int HeadDim => 64; public static float Scale => 0.3f; public static float Softcap => 0;
        public static bool IsCausal => false; public static int ScoreStride => 192; public static int ScoreRows => 6; public static int PanelKeys512 => 64;
        public static bool HasTile256 => true; public static bool HasTile128 => true; public static int OnlineChunk => 0;
    }
    private struct CausalGqaShape : IAttentionShape
    {
        public static int Heads => 8; public static int KvHeads => 2; public static int HeadDim => 32; public static float Scale => (float)(1.0 / Math.Sqrt(32)); public static float Softcap => 0;
        public static bool IsCausal => true; public static int ScoreStride => 48; public static int ScoreRows => 6; public static int PanelKeys512 => 48;
        public static bool HasTile256 => true; public static bool HasTile128 => true; public static int OnlineChunk => 0;
    }
    private struct SoftcapShape : IAttentionShape
    {
        public static int Heads => 2; public static int KvHeads => 2; public static int HeadDim => 20; public static float Scale => (float)(1.0 / Math.Sqrt(20)); public static float Softcap => 5f;
        public static bool IsCausal => false; public static int ScoreStride => 16; public static int ScoreRows => 6; public static int PanelKeys512 => 0;
        public static bool HasTile256 => false; public static bool HasTile128 => true; public static int OnlineChunk => 0;
    }
    private struct OnlineCausalGqaShape : IAttentionShape
    {
        public static int Heads => 2; public static int KvHeads => 1; public static int HeadDim => 32; public static float Scale => (float)(1.0 / Math.Sqrt(32)); public static float Softcap => 0;
        public static bool IsCausal => true; public static int ScoreStride => 1344; public static int ScoreRows => 6; public static int PanelKeys512 => 64;
        public static bool HasTile256 => true; public static bool HasTile128 => true; public static int OnlineChunk => 512;
    }
    private struct OnlineSoftcapShape : IAttentionShape
    {
        public static int Heads => 2; public static int KvHeads => 2; public static int HeadDim => 16; public static float Scale => (float)(1.0 / Math.Sqrt(16)); public static float Softcap => 20f;
        public static bool IsCausal => false; public static int ScoreStride => 1152; public static int ScoreRows => 6; public static int PanelKeys512 => 64;
        public static bool HasTile256 => true; public static bool HasTile128 => true; public static int OnlineChunk => 512;
    }
}
