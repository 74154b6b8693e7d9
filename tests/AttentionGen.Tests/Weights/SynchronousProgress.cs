namespace AttentionGen.Tests.Weights;

/// <summary>Reports on the calling thread, in order (<see cref="Progress{T}"/> would post to the thread pool).</summary>
internal sealed class SynchronousProgress(Action<WeightLoadProgress> report) : IProgress<WeightLoadProgress>
{
    public void Report(WeightLoadProgress value) => report(value);
}
