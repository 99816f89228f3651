//! The FITS structure check, in Rust, before any C code sees a file: 2880-byte header
//! blocks of 80-character cards ending in `END`, a valid `BITPIX`, `NAXIS`/`NAXISn`
//! within bounds, and data sizes (with overflow checks) that fit in the file. It also
//! gives the parsed cards to the layout code, so headers are never read by cfitsio.

/// FITS logical record length.
pub const BLOCK: usize = 2880;
/// Cards per block.
const CARD: usize = 80;
/// Most header blocks accepted for one HDU (a 28 MB header is already absurd).
const MAX_HEADER_BLOCKS: usize = 10_000;
/// Most HDUs accepted in one file.
const MAX_HDUS: usize = 1_000;

/// One header card: keyword, value text (strings unquoted) and whether it was a string.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    pub key: String,
    pub value: String,
    pub is_string: bool,
}

/// What kind of HDU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HduKind {
    /// The primary array or an `IMAGE` extension.
    Image,
    BinTable,
    AsciiTable,
    /// Any other extension type (kept for counting, never read).
    Other,
}

/// A checked HDU header.
#[derive(Clone, Debug, PartialEq)]
pub struct Hdu {
    /// 0-based position in the file.
    pub index: usize,
    pub kind: HduKind,
    /// `EXTNAME`, or `PRIMARY` for the first HDU without one.
    pub name: String,
    pub bitpix: i64,
    /// `NAXIS1..NAXISn`.
    pub naxes: Vec<u64>,
    /// Byte offset of the data unit in the (decompressed) file.
    pub data_offset: u64,
    /// Bytes of data (without padding).
    pub data_len: u64,
    pub cards: Vec<Card>,
}

impl Hdu {
    /// The value text of a keyword (the first occurrence).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.cards
            .iter()
            .find(|c| c.key == key)
            .map(|c| c.value.as_str())
    }

    /// A keyword's value as a number.
    pub fn number(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(|v| {
            v.trim()
                .replace(['D', 'd'], "E")
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
        })
    }

    /// Number of elements in the data array (the product of `NAXISn`), for images.
    pub fn n_elements(&self) -> u64 {
        if self.naxes.is_empty() {
            0
        } else {
            self.naxes.iter().product()
        }
    }
}

/// Why a file is not well-formed FITS.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum HeaderProblem {
    #[error("not a FITS file (it does not start with SIMPLE = T)")]
    NotFits,
    #[error("truncated in the header of HDU {hdu}")]
    TruncatedHeader { hdu: usize },
    #[error("HDU {hdu}: header has no END card within {MAX_HEADER_BLOCKS} blocks")]
    NoEnd { hdu: usize },
    #[error("HDU {hdu}: card {card} holds a non-ASCII or control byte")]
    BadByte { hdu: usize, card: usize },
    #[error("HDU {hdu}: {key} is missing")]
    Missing { hdu: usize, key: String },
    #[error("HDU {hdu}: BITPIX = {value} is not one of 8, 16, 32, 64, -32, -64")]
    BadBitpix { hdu: usize, value: String },
    #[error("HDU {hdu}: {key} = {value} is not a valid size")]
    BadSize {
        hdu: usize,
        key: String,
        value: String,
    },
    #[error("HDU {hdu}: the sizes in NAXISn overflow")]
    Overflow { hdu: usize },
    #[error(
        "HDU {hdu}: the header promises {needed} bytes of data but the file ends after {available}"
    )]
    TruncatedData {
        hdu: usize,
        needed: u64,
        available: u64,
    },
    #[error("more than {MAX_HDUS} HDUs")]
    TooManyHdus,
    #[error("cannot read: {0}")]
    Io(String),
}

fn parse_card(raw: &[u8]) -> Card {
    // The caller checked the bytes are printable ASCII.
    let text = std::str::from_utf8(raw).unwrap_or("");
    let key = text.get(..8).unwrap_or(text).trim_end().to_string();
    let rest = text.get(8..).unwrap_or("");
    let Some(body) = rest.strip_prefix("= ").or_else(|| rest.strip_prefix("=")) else {
        return Card {
            key,
            value: rest.trim().to_string(),
            is_string: false,
        };
    };
    let body = body.trim_start();
    if let Some(s) = body.strip_prefix('\'') {
        // A string: '' is a quote; the value ends at a lone quote.
        let mut value = String::new();
        let mut chars = s.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                    value.push('\'');
                } else {
                    break;
                }
            } else {
                value.push(c);
            }
        }
        return Card {
            key,
            value: value.trim_end().to_string(),
            is_string: true,
        };
    }
    let value = body.split('/').next().unwrap_or("").trim().to_string();
    Card {
        key,
        value,
        is_string: false,
    }
}

fn int_value(cards: &[Card], key: &str, hdu: usize) -> Result<i64, HeaderProblem> {
    let card = cards
        .iter()
        .find(|c| c.key == key)
        .ok_or_else(|| HeaderProblem::Missing {
            hdu,
            key: key.to_string(),
        })?;
    card.value
        .trim()
        .parse::<i64>()
        .map_err(|_| HeaderProblem::BadSize {
            hdu,
            key: key.to_string(),
            value: card.value.clone(),
        })
}

/// A sequential source of FITS blocks: a seekable file (skips data by seeking) or a
/// gzip stream (skips data by decompressing and discarding it), so that neither the data
/// nor a bomb's expansion is ever held in memory.
pub trait Blocks {
    /// Fills `buf` as far as the input allows; returns the bytes read (0 at the end).
    fn read_block(&mut self, buf: &mut [u8]) -> std::io::Result<usize>;
    /// Skips `n` bytes; returns how many there were (fewer at the end of the input).
    fn skip(&mut self, n: u64) -> std::io::Result<u64>;
}

fn fill<R: std::io::Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Blocks from a seekable input of known length.
pub struct SeekBlocks<R> {
    inner: R,
    pos: u64,
    len: u64,
}

impl<R: std::io::Read + std::io::Seek> SeekBlocks<R> {
    pub fn new(inner: R, len: u64) -> Self {
        Self { inner, pos: 0, len }
    }
}

impl<R: std::io::Read + std::io::Seek> Blocks for SeekBlocks<R> {
    fn read_block(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = fill(&mut self.inner, buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn skip(&mut self, n: u64) -> std::io::Result<u64> {
        let possible = n.min(self.len.saturating_sub(self.pos));
        self.pos += possible;
        self.inner.seek(std::io::SeekFrom::Start(self.pos))?;
        Ok(possible)
    }
}

/// Blocks from a stream (a gzip decoder), skipping by reading.
pub struct StreamBlocks<R>(pub R);

impl<R: std::io::Read> Blocks for StreamBlocks<R> {
    fn read_block(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        fill(&mut self.0, buf)
    }

    fn skip(&mut self, n: u64) -> std::io::Result<u64> {
        std::io::copy(
            &mut std::io::Read::take(&mut self.0, n),
            &mut std::io::sink(),
        )
    }
}

/// Scans every HDU of an in-memory FITS file (the fuzz target's entry).
pub fn scan(bytes: &[u8]) -> Result<Vec<Hdu>, HeaderProblem> {
    scan_blocks(&mut SeekBlocks::new(
        std::io::Cursor::new(bytes),
        bytes.len() as u64,
    ))
}

/// Scans every HDU, checking structure and sizes, reading only header blocks.
pub fn scan_blocks(src: &mut dyn Blocks) -> Result<Vec<Hdu>, HeaderProblem> {
    let io = |e: std::io::Error| HeaderProblem::Io(e.to_string());
    let mut block = vec![0u8; BLOCK];
    let n = src.read_block(&mut block).map_err(io)?;
    if n < 30 || !block.starts_with(b"SIMPLE  =") || parse_card(&block[..CARD]).value != "T" {
        return Err(HeaderProblem::NotFits);
    }
    let mut have_block = n == BLOCK;
    let mut hdus = Vec::new();
    let mut pos: u64 = 0;
    loop {
        let index = hdus.len();
        if index >= MAX_HDUS {
            return Err(HeaderProblem::TooManyHdus);
        }
        // Header blocks; the first is already in `block`.
        let mut cards = Vec::new();
        let mut ended = false;
        let mut blocks = 0usize;
        while !ended {
            if blocks >= MAX_HEADER_BLOCKS {
                return Err(HeaderProblem::NoEnd { hdu: index });
            }
            if !have_block {
                return Err(HeaderProblem::TruncatedHeader { hdu: index });
            }
            for (i, raw) in block.chunks(CARD).enumerate() {
                if raw.iter().any(|&b| !(0x20..=0x7e).contains(&b)) {
                    return Err(HeaderProblem::BadByte {
                        hdu: index,
                        card: blocks * 36 + i + 1,
                    });
                }
                let card = parse_card(raw);
                if card.key == "END" {
                    ended = true;
                    break;
                }
                if !card.key.is_empty() {
                    cards.push(card);
                }
            }
            pos += BLOCK as u64;
            blocks += 1;
            if !ended {
                have_block = src.read_block(&mut block).map_err(io)? == BLOCK;
            }
        }
        let kind = if index == 0 {
            HduKind::Image
        } else {
            match cards
                .iter()
                .find(|c| c.key == "XTENSION")
                .map(|c| c.value.as_str())
            {
                Some("IMAGE") => HduKind::Image,
                Some("BINTABLE") => HduKind::BinTable,
                Some("TABLE") => HduKind::AsciiTable,
                Some(_) => HduKind::Other,
                None => {
                    return Err(HeaderProblem::Missing {
                        hdu: index,
                        key: "XTENSION".into(),
                    });
                }
            }
        };
        let bitpix_card =
            cards
                .iter()
                .find(|c| c.key == "BITPIX")
                .ok_or(HeaderProblem::Missing {
                    hdu: index,
                    key: "BITPIX".into(),
                })?;
        let bitpix = match bitpix_card.value.trim().parse::<i64>() {
            Ok(b @ (8 | 16 | 32 | 64 | -32 | -64)) => b,
            _ => {
                return Err(HeaderProblem::BadBitpix {
                    hdu: index,
                    value: bitpix_card.value.clone(),
                });
            }
        };
        let naxis = int_value(&cards, "NAXIS", index)?;
        if !(0..=999).contains(&naxis) {
            return Err(HeaderProblem::BadSize {
                hdu: index,
                key: "NAXIS".into(),
                value: naxis.to_string(),
            });
        }
        let mut naxes = Vec::with_capacity(naxis as usize);
        for n in 1..=naxis {
            let key = format!("NAXIS{n}");
            let v = int_value(&cards, &key, index)?;
            if v < 0 {
                return Err(HeaderProblem::BadSize {
                    hdu: index,
                    key,
                    value: v.to_string(),
                });
            }
            naxes.push(v as u64);
        }
        let optional = |key: &str, default: i64| -> Result<i64, HeaderProblem> {
            if cards.iter().any(|c| c.key == key) {
                int_value(&cards, key, index)
            } else {
                Ok(default)
            }
        };
        let pcount = optional("PCOUNT", 0)?;
        let gcount = optional("GCOUNT", 1)?;
        if pcount < 0 || gcount < 0 {
            return Err(HeaderProblem::BadSize {
                hdu: index,
                key: "PCOUNT/GCOUNT".into(),
                value: format!("{pcount}/{gcount}"),
            });
        }
        let groups = cards.iter().any(|c| c.key == "GROUPS" && c.value == "T");
        let axes: &[u64] = if groups && naxes.first() == Some(&0) {
            &naxes[1..]
        } else {
            &naxes
        };
        let overflow = HeaderProblem::Overflow { hdu: index };
        let elements = if naxes.is_empty() {
            0
        } else {
            axes.iter()
                .try_fold(1u64, |acc, &n| acc.checked_mul(n))
                .ok_or(overflow.clone())?
        };
        let data_len = if naxes.is_empty() {
            0
        } else {
            elements
                .checked_add(pcount as u64)
                .and_then(|v| v.checked_mul(gcount as u64))
                .and_then(|v| v.checked_mul(bitpix.unsigned_abs() / 8))
                .ok_or(overflow.clone())?
        };
        let data_offset = pos;
        let padded = data_len.div_ceil(BLOCK as u64) * BLOCK as u64;
        let skipped = src.skip(padded).map_err(io)?;
        if skipped < data_len {
            return Err(HeaderProblem::TruncatedData {
                hdu: index,
                needed: data_len,
                available: skipped,
            });
        }
        let name = cards
            .iter()
            .find(|c| c.key == "EXTNAME")
            .map(|c| c.value.clone())
            .unwrap_or_else(|| {
                if index == 0 {
                    "PRIMARY".into()
                } else {
                    String::new()
                }
            });
        hdus.push(Hdu {
            index,
            kind,
            name,
            bitpix,
            naxes,
            data_offset,
            data_len,
            cards,
        });
        pos = data_offset.saturating_add(padded);
        // Another HDU follows only if a full block starting with XTENSION is there.
        have_block = skipped == padded && src.read_block(&mut block).map_err(io)? == BLOCK;
        if !(have_block && block.starts_with(b"XTENSION=")) {
            break;
        }
    }
    Ok(hdus)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a minimal FITS file from cards and a data length.
    pub fn fits_with(cards: &[&str], data: usize) -> Vec<u8> {
        let mut h = String::new();
        for c in cards {
            h.push_str(&format!("{c:<80}"));
        }
        h.push_str(&format!("{:<80}", "END"));
        while !h.len().is_multiple_of(BLOCK) {
            h.push(' ');
        }
        let mut bytes = h.into_bytes();
        bytes.extend(std::iter::repeat_n(0u8, data.div_ceil(BLOCK) * BLOCK));
        bytes
    }

    #[test]
    fn a_small_image_passes() {
        let f = fits_with(
            &[
                "SIMPLE  =                    T",
                "BITPIX  =                  -32",
                "NAXIS   =                    1",
                "NAXIS1  =                   10",
                "OBJECT  = 'it''s'  / c",
            ],
            40,
        );
        let h = scan(&f).unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].naxes, vec![10]);
        assert_eq!(h[0].data_len, 40);
        assert_eq!(h[0].get("OBJECT"), Some("it's"));
    }

    #[test]
    fn naxis_promising_two_gigabytes_is_caught() {
        let f = fits_with(
            &[
                "SIMPLE  =                    T",
                "BITPIX  =                    8",
                "NAXIS   =                    1",
                "NAXIS1  =           2147483648",
            ],
            0,
        );
        assert!(matches!(scan(&f), Err(HeaderProblem::TruncatedData { .. })));
    }

    #[test]
    fn overflow_and_bad_bitpix() {
        let f = fits_with(
            &[
                "SIMPLE  =                    T",
                "BITPIX  =                  -64",
                "NAXIS   =                    3",
                "NAXIS1  =  9223372036854775807",
                "NAXIS2  =  9223372036854775807",
                "NAXIS3  =                    2",
            ],
            0,
        );
        assert!(matches!(scan(&f), Err(HeaderProblem::Overflow { .. })));
        let f = fits_with(
            &[
                "SIMPLE  =                    T",
                "BITPIX  =                   12",
                "NAXIS   =                    0",
            ],
            0,
        );
        assert!(matches!(scan(&f), Err(HeaderProblem::BadBitpix { .. })));
    }

    #[test]
    fn truncated_header_and_garbage() {
        let f = fits_with(
            &[
                "SIMPLE  =                    T",
                "BITPIX  =                    8",
                "NAXIS   =                    0",
            ],
            0,
        );
        assert!(matches!(
            scan(&f[..1000]),
            Err(HeaderProblem::TruncatedHeader { .. })
        ));
        assert!(matches!(scan(b"hello"), Err(HeaderProblem::NotFits)));
        let mut bad = f.clone();
        bad[100] = 0;
        assert!(matches!(scan(&bad), Err(HeaderProblem::BadByte { .. })));
    }
}
