using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CampaignEtl.Platform.Soap;

/// <summary>
/// Copies text that is printable ASCII without XML markup (<c>&lt; &gt; &amp;</c>), which is most of what a batch
/// carries (ids, addresses, plain values), as its bytes, checking and narrowing 16 characters at a time: one pass
/// instead of a transcoder call plus a search per value. Anything else is for the careful paths.
/// </summary>
internal static class PlainAscii
{
    /// <summary>True when every character is U+0020..U+007E but '&lt;', '&gt;', '&amp;', and then the bytes are in <paramref name="target"/> (at least as long as the text); false, with the target's content unspecified, otherwise.</summary>
    public static bool TryCopy(ReadOnlySpan<char> text, Span<byte> target)
    {
        if (target.Length < text.Length)
        {
            return false;
        }

        ref var source = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text));
        ref var destination = ref MemoryMarshal.GetReference(target);
        var length = (nuint)text.Length;
        if (Vector256.IsHardwareAccelerated && length >= 16)
        {
            nuint i = 0;
            for (; i + 16 <= length; i += 16)
            {
                if (!Copy16(ref source, ref destination, i))
                {
                    return false;
                }
            }

            // The tail as one more block that overlaps the last one.
            return i == length || Copy16(ref source, ref destination, length - 16);
        }

        if (Vector128.IsHardwareAccelerated && length >= 8)
        {
            nuint i = 0;
            for (; i + 8 <= length; i += 8)
            {
                if (!Copy8(ref source, ref destination, i))
                {
                    return false;
                }
            }

            return i == length || Copy8(ref source, ref destination, length - 8);
        }

        for (nuint i = 0; i < length; i++)
        {
            var c = Unsafe.Add(ref source, i);
            if ((uint)(c - 0x20) > 0x5E || c is '<' or '>' or '&')
            {
                return false;
            }

            Unsafe.Add(ref destination, i) = (byte)c;
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Copy16(ref ushort source, ref byte destination, nuint at)
    {
        var chars = Vector256.LoadUnsafe(ref source, at);
        var outside = Vector256.GreaterThan(chars - Vector256.Create((ushort)0x20), Vector256.Create((ushort)0x5E));
        var markup = Vector256.Equals(chars, Vector256.Create((ushort)'<')) | Vector256.Equals(chars, Vector256.Create((ushort)'>')) | Vector256.Equals(chars, Vector256.Create((ushort)'&'));
        if ((outside | markup) != Vector256<ushort>.Zero)
        {
            return false;
        }

        Vector128.Narrow(chars.GetLower(), chars.GetUpper()).StoreUnsafe(ref destination, at);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Copy8(ref ushort source, ref byte destination, nuint at)
    {
        var chars = Vector128.LoadUnsafe(ref source, at);
        var outside = Vector128.GreaterThan(chars - Vector128.Create((ushort)0x20), Vector128.Create((ushort)0x5E));
        var markup = Vector128.Equals(chars, Vector128.Create((ushort)'<')) | Vector128.Equals(chars, Vector128.Create((ushort)'>')) | Vector128.Equals(chars, Vector128.Create((ushort)'&'));
        if ((outside | markup) != Vector128<ushort>.Zero)
        {
            return false;
        }

        Vector64.Narrow(chars.GetLower(), chars.GetUpper()).StoreUnsafe(ref destination, at);
        return true;
    }
}
