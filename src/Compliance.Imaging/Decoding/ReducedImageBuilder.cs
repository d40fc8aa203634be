using Compliance.Imaging.Pdq;
using SkiaSharp;

namespace Compliance.Imaging.Decoding;

/// <summary>
/// Builds a reduced copy of a large image from its rows, fed top to bottom, without needing the whole image
/// at once (a scanline decoder can feed it row by row): rows are gathered into bands of a few megabytes and each band is scaled down by SkiaSharp (linear
/// filtering with mipmaps, so the reduction averages rather than aliases). Alongside, it keeps the pixels that
/// PDQ's nearest-neighbour pre-scale would take from the full-size image, so the hash of the reduced image is
/// the hash of the original.
/// </summary>
internal sealed class ReducedImageBuilder
{
    /// <summary>Source rows held at once: one band of rows is scaled at a time.</summary>
    private const int BandBudgetBytes = 4 * 1024 * 1024;

    private static readonly SKSamplingOptions Sampling = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    private readonly SKImageInfo _source;
    private readonly PdqPixelFormat _format;
    private readonly int _bytesPerPixel;
    private readonly int _reducedWidth;
    private readonly int _reducedHeight;
    private readonly byte[] _reduced;
    private readonly int _outputRowsPerBand;
    private readonly byte[] _band;

    private readonly int _sampleWidth;
    private readonly int _sampleHeight;
    private readonly int[] _sampleColumns;
    private readonly byte[] _sample;
    private int _nextSampleRow;

    private int _nextRow;
    private int _bandFirstOutputRow;
    private int _bandFirstRow;
    private int _bandEndRow;

    /// <param name="source">The full-size image as decoded (colour type, alpha type and row bytes of its rows).</param>
    /// <param name="format">The same layout, as PDQ names it.</param>
    /// <param name="reducedWidth">Width of the copy; at most the source's.</param>
    /// <param name="reducedHeight">Height of the copy; at most the source's.</param>
    public ReducedImageBuilder(SKImageInfo source, PdqPixelFormat format, int reducedWidth, int reducedHeight)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(reducedWidth);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(reducedHeight);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(reducedWidth, source.Width);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(reducedHeight, source.Height);
        _source = source;
        _format = format;
        _bytesPerPixel = PdqHasher.BytesPerPixel(format);
        _reducedWidth = reducedWidth;
        _reducedHeight = reducedHeight;
        _reduced = new byte[(long)reducedWidth * reducedHeight * _bytesPerPixel];

        var sourceRowsPerOutputRow = (source.Height + reducedHeight - 1) / reducedHeight;
        _outputRowsPerBand = Math.Clamp(BandBudgetBytes / (source.RowBytes * sourceRowsPerOutputRow), 1, reducedHeight);
        _band = new byte[(long)source.RowBytes * (((long)_outputRowsPerBand * sourceRowsPerOutputRow) + 1)];
        _bandEndRow = FirstSourceRow(Math.Min(_outputRowsPerBand, reducedHeight));

        // PdqHasher pre-scales only images larger than its pre-scale square; a smaller one is hashed as it is.
        var preScaled = source.Width > PdqHasher.PreScaleDimension || source.Height > PdqHasher.PreScaleDimension;
        _sampleWidth = preScaled ? PdqHasher.PreScaleDimension : source.Width;
        _sampleHeight = preScaled ? PdqHasher.PreScaleDimension : source.Height;
        _sampleColumns = new int[_sampleWidth];
        for (var x = 0; x < _sampleWidth; x++)
        {
            _sampleColumns[x] = PdqLuma.SourceIndex(x, source.Width, _sampleWidth) * _bytesPerPixel;
        }

        _sample = new byte[_sampleWidth * _sampleHeight * _bytesPerPixel];
    }

    /// <summary>Adds the next source row (at least <c>width × bytes per pixel</c> bytes).</summary>
    public void AddRow(ReadOnlySpan<byte> row)
    {
        if (_nextRow >= _source.Height)
        {
            throw new InvalidOperationException($"All {_source.Height} rows were already added.");
        }

        var y = _nextRow++;
        var used = _source.Width * _bytesPerPixel;
        row[..used].CopyTo(_band.AsSpan((y - _bandFirstRow) * _source.RowBytes, used));

        // Several sample rows share one source row when the source is shorter than the sample.
        while (_nextSampleRow < _sampleHeight && PdqLuma.SourceIndex(_nextSampleRow, _source.Height, _sampleHeight) == y)
        {
            var target = _sample.AsSpan(_nextSampleRow * _sampleWidth * _bytesPerPixel, _sampleWidth * _bytesPerPixel);
            for (var x = 0; x < _sampleWidth; x++)
            {
                row.Slice(_sampleColumns[x], _bytesPerPixel).CopyTo(target.Slice(x * _bytesPerPixel, _bytesPerPixel));
            }

            _nextSampleRow++;
        }

        if (_nextRow == _bandEndRow)
        {
            FlushBand();
        }
    }

    /// <summary>The reduced image, carrying its source size and PDQ sample. Every row must have been added.</summary>
    public DecodedImage Build()
    {
        if (_nextRow != _source.Height)
        {
            throw new InvalidOperationException($"Only {_nextRow} of {_source.Height} rows were added.");
        }

        return new DecodedImage(_reduced, _reducedWidth, _reducedHeight, _reducedWidth * _bytesPerPixel, _format)
        {
            SourceWidth = _source.Width,
            SourceHeight = _source.Height,
            PdqSample = new DecodedImage(_sample, _sampleWidth, _sampleHeight, _sampleWidth * _bytesPerPixel, _format),
        };
    }

    /// <summary>Output row r is drawn from source rows FirstSourceRow(r) up to FirstSourceRow(r + 1).</summary>
    private int FirstSourceRow(int outputRow) => (int)((long)outputRow * _source.Height / _reducedHeight);

    private unsafe void FlushBand()
    {
        var outputRows = Math.Min(_outputRowsPerBand, _reducedHeight - _bandFirstOutputRow);
        var sourceRows = _bandEndRow - _bandFirstRow;
        var outputRowBytes = _reducedWidth * _bytesPerPixel;
        fixed (byte* band = _band)
        fixed (byte* reduced = _reduced)
        {
            using var from = new SKPixmap(_source.WithSize(_source.Width, sourceRows), (IntPtr)band, _source.RowBytes);
            using var to = new SKPixmap(
                _source.WithSize(_reducedWidth, outputRows),
                (IntPtr)(reduced + ((long)_bandFirstOutputRow * outputRowBytes)),
                outputRowBytes);
            if (!from.ScalePixels(to, Sampling))
            {
                throw new InvalidOperationException($"SkiaSharp could not scale {_source.ColorType} rows of {_source.Width} pixels.");
            }
        }

        _bandFirstOutputRow += outputRows;
        _bandFirstRow = _bandEndRow;
        _bandEndRow = FirstSourceRow(Math.Min(_bandFirstOutputRow + _outputRowsPerBand, _reducedHeight));
    }
}
