// TestVideos points the process-wide TMPDIR at a folder of its own and asserts that it stays empty; tests in other
// classes write files too, so classes run one at a time rather than racing that check.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
