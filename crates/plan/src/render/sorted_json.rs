//! Pretty JSON with every object's keys in byte order, written as it is serialised: no
//! `serde_json::Value` of the whole document is ever built.
//!
//! The output is byte for byte what `serde_json::to_string_pretty` prints for the same data
//! turned into a `Value` and sorted (the way plans were rendered before, and the oracle the tests
//! compare with), for any `Serialize` type: struct fields are sorted whatever order they are
//! declared in, so a new field needs no care beyond `#[derive(Serialize)]`.
//!
//! How it sorts without buffering: an object's keys are cheap to learn without its values. Each
//! value is first serialised into a probe that records only its shape (plain, or an object and
//! its keys in the order serde gives them) and never descends into member values. The entries
//! are then written in sorted key order by serialising the value again once per ascending run of
//! that order, writing only the entries the run selects; each member value is handled the same
//! way, recursively. A derived `Serialize` is deterministic, so every pass sees the same entries.
//! Maps whose keys already come sorted (`BTreeMap`, `serde_json::Map`) take one writing pass,
//! so a struct with `n` fields costs at most `n` passes over its field list and never a copy of
//! its values, and memory stays proportional to the depth of the document, not its size.

use std::io::{self, Write};

use serde::ser::{self, Serialize};
use serde_json::Error;
use serde_json::ser::{Formatter, PrettyFormatter};

/// Writes `value` to `out` as pretty JSON with sorted keys (no trailing newline), then flushes.
pub fn write<T: Serialize + ?Sized, W: Write>(value: &T, out: W) -> io::Result<()> {
    let mut sorted = Sorted {
        out,
        format: PrettyFormatter::new(),
    };
    sorted.value(value).map_err(io::Error::from)?;
    sorted.out.flush()
}

struct Sorted<W> {
    out: W,
    format: PrettyFormatter<'static>,
}

/// What the probe learnt about a value.
enum Shape {
    /// Not an object: a scalar, `null` or an array.
    Plain,
    /// An object with these keys, in serialisation order. Newtype and tuple variants are
    /// objects with one key (the variant), as serde_json writes them.
    Object(Vec<Key>),
    /// A struct variant: `{"variant": {fields}}`, the fields sorted too.
    StructVariant(&'static str, Vec<Key>),
}

/// An object key: struct fields are static, map keys are not.
enum Key {
    Field(&'static str),
    Map(String),
}

impl Key {
    fn as_str(&self) -> &str {
        match self {
            Key::Field(name) => name,
            Key::Map(name) => name,
        }
    }
}

/// Which entry, counted in serialisation order, is written next, and how far the sorted order
/// has got.
struct Cursor {
    /// Entry positions in sorted key order.
    order: Vec<usize>,
    /// Index into `order` of the next entry to write.
    next: usize,
}

impl Cursor {
    fn new(keys: &[Key]) -> Result<Cursor, Error> {
        let mut order: Vec<usize> = (0..keys.len()).collect();
        if !keys.windows(2).all(|pair| pair[0].as_str() < pair[1].as_str()) {
            order.sort_by(|&a, &b| keys[a].as_str().cmp(keys[b].as_str()));
            if let Some(pair) = order
                .windows(2)
                .find(|pair| keys[pair[0]].as_str() == keys[pair[1]].as_str())
            {
                return Err(ser::Error::custom(format_args!(
                    "the key `{}` appears twice in one object",
                    keys[pair[0]].as_str()
                )));
            }
        }
        Ok(Cursor { order, next: 0 })
    }

    fn done(&self) -> bool {
        self.next == self.order.len()
    }

    /// Whether the entry at `position` is written now; if so, whether it is the object's first.
    fn take(&mut self, position: usize) -> Option<bool> {
        (self.order.get(self.next) == Some(&position)).then(|| {
            self.next += 1;
            self.next == 1
        })
    }
}

fn changed() -> Error {
    ser::Error::custom("a value serialised differently on a second pass")
}

impl<W: Write> Sorted<W> {
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        match value.serialize(Probe)? {
            Shape::Plain => value.serialize(Plain { to: self }),
            Shape::Object(keys) => {
                self.format.begin_object(&mut self.out).map_err(Error::io)?;
                self.entries(value, &keys)?;
                self.format.end_object(&mut self.out).map_err(Error::io)
            }
            Shape::StructVariant(variant, keys) => {
                self.format.begin_object(&mut self.out).map_err(Error::io)?;
                self.key(variant, true)?;
                self.format.begin_object(&mut self.out).map_err(Error::io)?;
                self.entries(value, &keys)?;
                self.format.end_object(&mut self.out).map_err(Error::io)?;
                self.format.end_object_value(&mut self.out).map_err(Error::io)?;
                self.format.end_object(&mut self.out).map_err(Error::io)
            }
        }
    }

    /// Writes the entries of the object `value` in sorted key order, one pass per ascending run.
    fn entries<T: Serialize + ?Sized>(&mut self, value: &T, keys: &[Key]) -> Result<(), Error> {
        let mut cursor = Cursor::new(keys)?;
        while !cursor.done() {
            let before = cursor.next;
            value.serialize(Entries {
                to: self,
                cursor: &mut cursor,
            })?;
            if cursor.next == before {
                return Err(changed());
            }
        }
        Ok(())
    }

    /// Writes `"key": ` (the value follows, then `end_object_value`).
    fn key(&mut self, key: &str, first: bool) -> Result<(), Error> {
        self.format
            .begin_object_key(&mut self.out, first)
            .map_err(Error::io)?;
        serde_json::to_writer(&mut self.out, key)?;
        self.format.end_object_key(&mut self.out).map_err(Error::io)?;
        self.format.begin_object_value(&mut self.out).map_err(Error::io)
    }

    fn entry<T: Serialize + ?Sized>(&mut self, key: &str, first: bool, value: &T) -> Result<(), Error> {
        self.key(key, first)?;
        self.value(value)?;
        self.format.end_object_value(&mut self.out).map_err(Error::io)
    }

    /// A scalar, exactly as serde_json writes it.
    fn scalar<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        serde_json::to_writer(&mut self.out, value)
    }

    /// A scalar that `serde_json::to_value` changes on the way (`f32`, 128-bit integers, `char`,
    /// bytes): written as that `Value`, so the output stays the same as the sorted `Value`'s.
    fn through_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let value = serde_json::to_value(value)?;
        self.value(&value)
    }
}

/// The text of a map key, as `serde_json::to_value` makes it.
fn map_key<K: Serialize + ?Sized>(key: &K) -> Result<String, Error> {
    /// A one-entry map, so that serde_json's own key rules (numbers, booleans, unit variants)
    /// decide the text of any key that is not a string.
    struct One<'a, K: ?Sized>(&'a K);
    impl<K: Serialize + ?Sized> Serialize for One<'_, K> {
        fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use ser::SerializeMap;
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry(self.0, &())?;
            map.end()
        }
    }
    if let Some(text) = key.serialize(StrKey)? {
        return Ok(text);
    }
    match serde_json::to_value(One(key))? {
        serde_json::Value::Object(map) => map.into_iter().next().map(|(text, _)| text).ok_or_else(changed),
        _ => Err(changed()),
    }
}

/// The probe: the shape of a value, without descending into the values of its members.
struct Probe;

/// Collects an object's keys during the probe.
struct ProbeKeys {
    keys: Vec<Key>,
    variant: Option<&'static str>,
}

impl ProbeKeys {
    fn new(len: Option<usize>, variant: Option<&'static str>) -> ProbeKeys {
        ProbeKeys {
            keys: Vec::with_capacity(len.unwrap_or(0).min(4096)),
            variant,
        }
    }

    fn shape(self) -> Shape {
        match self.variant {
            Some(variant) => Shape::StructVariant(variant, self.keys),
            None => Shape::Object(self.keys),
        }
    }
}

/// Ignores the members of an array during the probe.
struct ProbeArray;

macro_rules! plain_scalars {
    ($($method:ident: $type:ty),* $(,)?) => {
        $(fn $method(self, _: $type) -> Result<Shape, Error> {
            Ok(Shape::Plain)
        })*
    };
}

impl ser::Serializer for Probe {
    type Ok = Shape;
    type Error = Error;
    type SerializeSeq = ProbeArray;
    type SerializeTuple = ProbeArray;
    type SerializeTupleStruct = ProbeArray;
    type SerializeTupleVariant = ProbeVariant;
    type SerializeMap = ProbeKeys;
    type SerializeStruct = ProbeKeys;
    type SerializeStructVariant = ProbeKeys;

    plain_scalars! {
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_f32: f32,
        serialize_f64: f64, serialize_char: char, serialize_str: &str, serialize_bytes: &[u8],
        serialize_unit_struct: &'static str,
    }

    fn serialize_none(self) -> Result<Shape, Error> {
        Ok(Shape::Plain)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Shape, Error> {
        value.serialize(Probe)
    }
    fn serialize_unit(self) -> Result<Shape, Error> {
        Ok(Shape::Plain)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<Shape, Error> {
        Ok(Shape::Plain)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Shape, Error> {
        value.serialize(Probe)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: &T,
    ) -> Result<Shape, Error> {
        Ok(Shape::Object(vec![Key::Field(variant)]))
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<ProbeArray, Error> {
        Ok(ProbeArray)
    }
    fn serialize_tuple(self, _: usize) -> Result<ProbeArray, Error> {
        Ok(ProbeArray)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<ProbeArray, Error> {
        Ok(ProbeArray)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<ProbeVariant, Error> {
        Ok(ProbeVariant(variant))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<ProbeKeys, Error> {
        Ok(ProbeKeys::new(len, None))
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<ProbeKeys, Error> {
        Ok(ProbeKeys::new(Some(len), None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<ProbeKeys, Error> {
        Ok(ProbeKeys::new(Some(len), Some(variant)))
    }
}

impl ser::SerializeSeq for ProbeArray {
    type Ok = Shape;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), Error> {
        Ok(())
    }
    fn end(self) -> Result<Shape, Error> {
        Ok(Shape::Plain)
    }
}

impl ser::SerializeTuple for ProbeArray {
    type Ok = Shape;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), Error> {
        Ok(())
    }
    fn end(self) -> Result<Shape, Error> {
        Ok(Shape::Plain)
    }
}

impl ser::SerializeTupleStruct for ProbeArray {
    type Ok = Shape;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), Error> {
        Ok(())
    }
    fn end(self) -> Result<Shape, Error> {
        Ok(Shape::Plain)
    }
}

/// A tuple variant is `{"variant": [fields]}`: an object with one key.
struct ProbeVariant(&'static str);

impl ser::SerializeTupleVariant for ProbeVariant {
    type Ok = Shape;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), Error> {
        Ok(())
    }
    fn end(self) -> Result<Shape, Error> {
        Ok(Shape::Object(vec![Key::Field(self.0)]))
    }
}

impl ser::SerializeMap for ProbeKeys {
    type Ok = Shape;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.keys.push(Key::Map(map_key(key)?));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, _: &T) -> Result<(), Error> {
        Ok(())
    }
    fn end(self) -> Result<Shape, Error> {
        Ok(self.shape())
    }
}

impl ser::SerializeStruct for ProbeKeys {
    type Ok = Shape;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, _: &T) -> Result<(), Error> {
        self.keys.push(Key::Field(key));
        Ok(())
    }
    fn end(self) -> Result<Shape, Error> {
        Ok(self.shape())
    }
}

impl ser::SerializeStructVariant for ProbeKeys {
    type Ok = Shape;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, _: &T) -> Result<(), Error> {
        self.keys.push(Key::Field(key));
        Ok(())
    }
    fn end(self) -> Result<Shape, Error> {
        Ok(self.shape())
    }
}

/// Writes a value the probe found plain: a scalar, `null` or an array (whose members are
/// written through [`Sorted::value`], so objects inside arrays are sorted too).
struct Plain<'a, W> {
    to: &'a mut Sorted<W>,
}

/// Writes the members of an array.
struct Array<'a, W> {
    to: &'a mut Sorted<W>,
    first: bool,
}

impl<W: Write> Array<'_, W> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let to = &mut *self.to;
        to.format
            .begin_array_value(&mut to.out, self.first)
            .map_err(Error::io)?;
        self.first = false;
        to.value(value)?;
        to.format.end_array_value(&mut to.out).map_err(Error::io)
    }

    fn end(self) -> Result<(), Error> {
        self.to.format.end_array(&mut self.to.out).map_err(Error::io)
    }
}

impl<'a, W: Write> Plain<'a, W> {
    fn array(self) -> Result<Array<'a, W>, Error> {
        self.to.format.begin_array(&mut self.to.out).map_err(Error::io)?;
        Ok(Array {
            to: self.to,
            first: true,
        })
    }
}

macro_rules! direct_scalars {
    ($($method:ident: $type:ty),* $(,)?) => {
        $(fn $method(self, value: $type) -> Result<(), Error> {
            self.to.scalar(&value)
        })*
    };
}

macro_rules! converted_scalars {
    ($($method:ident: $type:ty),* $(,)?) => {
        $(fn $method(self, value: $type) -> Result<(), Error> {
            self.to.through_value(&value)
        })*
    };
}

impl<'a, W: Write> ser::Serializer for Plain<'a, W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Array<'a, W>;
    type SerializeTuple = Array<'a, W>;
    type SerializeTupleStruct = Array<'a, W>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    direct_scalars! {
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_f64: f64,
    }
    converted_scalars! {
        serialize_i128: i128, serialize_u128: u128, serialize_f32: f32, serialize_char: char,
    }

    fn serialize_str(self, value: &str) -> Result<(), Error> {
        self.to.scalar(value)
    }
    fn serialize_bytes(self, value: &[u8]) -> Result<(), Error> {
        self.to.through_value(value)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.to.scalar(&())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.to.scalar(&())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.to.scalar(&())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<(), Error> {
        self.to.scalar(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Array<'a, W>, Error> {
        self.array()
    }
    fn serialize_tuple(self, _: usize) -> Result<Array<'a, W>, Error> {
        self.array()
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Array<'a, W>, Error> {
        self.array()
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(changed())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(changed())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(changed())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(changed())
    }
}

impl<W: Write> ser::SerializeSeq for Array<'_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Array::end(self)
    }
}

impl<W: Write> ser::SerializeTuple for Array<'_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Array::end(self)
    }
}

impl<W: Write> ser::SerializeTupleStruct for Array<'_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.element(value)
    }
    fn end(self) -> Result<(), Error> {
        Array::end(self)
    }
}

/// Writes the entries of an object that the cursor selects in this pass; skips the others
/// without serialising their values.
struct Entries<'a, 'c, W> {
    to: &'a mut Sorted<W>,
    cursor: &'c mut Cursor,
}

/// One pass over an object's entries.
struct Pass<'a, 'c, W> {
    to: &'a mut Sorted<W>,
    cursor: &'c mut Cursor,
    /// Entries seen so far in this pass.
    position: usize,
    /// Whether the value of the map key just seen is to be written.
    write_value: bool,
    /// A tuple variant's array, open when its one entry is written in this pass.
    array: Option<bool>,
}

impl<'a, 'c, W: Write> Pass<'a, 'c, W> {
    fn new(entries: Entries<'a, 'c, W>) -> Self {
        Pass {
            to: entries.to,
            cursor: entries.cursor,
            position: 0,
            write_value: false,
            array: None,
        }
    }

    /// Counts one entry; whether it is written now and, if so, whether it is the first.
    fn next_entry(&mut self) -> Option<bool> {
        let position = self.position;
        self.position += 1;
        self.cursor.take(position)
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        match self.next_entry() {
            Some(first) => self.to.entry(key, first, value),
            None => Ok(()),
        }
    }
}

impl<'a, 'c, W: Write> ser::Serializer for Entries<'a, 'c, W> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = Pass<'a, 'c, W>;
    type SerializeMap = Pass<'a, 'c, W>;
    type SerializeStruct = Pass<'a, 'c, W>;
    type SerializeStructVariant = Pass<'a, 'c, W>;

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        Pass::new(self).field(variant, value)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Pass<'a, 'c, W>, Error> {
        let mut pass = Pass::new(self);
        if let Some(first) = pass.next_entry() {
            pass.to.key(variant, first)?;
            pass.to.format.begin_array(&mut pass.to.out).map_err(Error::io)?;
            pass.array = Some(true);
        }
        Ok(pass)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Pass<'a, 'c, W>, Error> {
        Ok(Pass::new(self))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Pass<'a, 'c, W>, Error> {
        Ok(Pass::new(self))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Pass<'a, 'c, W>, Error> {
        Ok(Pass::new(self))
    }

    fn serialize_bool(self, _: bool) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_i8(self, _: i8) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_i16(self, _: i16) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_i32(self, _: i32) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_i64(self, _: i64) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_u8(self, _: u8) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_u16(self, _: u16) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_u32(self, _: u32) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_u64(self, _: u64) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_f32(self, _: f32) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_f64(self, _: f64) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_char(self, _: char) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_str(self, _: &str) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Error> {
        Err(changed())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(changed())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(changed())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Error> {
        Err(changed())
    }
}

impl<W: Write> ser::SerializeTupleVariant for Pass<'_, '_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let Some(first) = self.array else {
            return Ok(());
        };
        let to = &mut *self.to;
        to.format
            .begin_array_value(&mut to.out, first)
            .map_err(Error::io)?;
        self.array = Some(false);
        to.value(value)?;
        to.format.end_array_value(&mut to.out).map_err(Error::io)
    }
    fn end(self) -> Result<(), Error> {
        if self.array.is_some() {
            self.to.format.end_array(&mut self.to.out).map_err(Error::io)?;
            self.to
                .format
                .end_object_value(&mut self.to.out)
                .map_err(Error::io)?;
        }
        Ok(())
    }
}

impl<W: Write> ser::SerializeMap for Pass<'_, '_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.write_value = false;
        if let Some(first) = self.next_entry() {
            let key = map_key(key)?;
            self.to.key(&key, first)?;
            self.write_value = true;
        }
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        if std::mem::take(&mut self.write_value) {
            self.to.value(value)?;
            self.to
                .format
                .end_object_value(&mut self.to.out)
                .map_err(Error::io)?;
        }
        Ok(())
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl<W: Write> ser::SerializeStruct for Pass<'_, '_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

impl<W: Write> ser::SerializeStructVariant for Pass<'_, '_, W> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Error> {
        Ok(())
    }
}

/// Reads a map key that is a string (nearly all of them) without a detour through a `Value`;
/// `None` for any other kind of key.
struct StrKey;

macro_rules! not_str {
    ($($method:ident: $type:ty),* $(,)?) => {
        $(fn $method(self, _: $type) -> Result<Option<String>, Error> {
            Ok(None)
        })*
    };
}

impl ser::Serializer for StrKey {
    type Ok = Option<String>;
    type Error = Error;
    type SerializeSeq = ser::Impossible<Option<String>, Error>;
    type SerializeTuple = ser::Impossible<Option<String>, Error>;
    type SerializeTupleStruct = ser::Impossible<Option<String>, Error>;
    type SerializeTupleVariant = ser::Impossible<Option<String>, Error>;
    type SerializeMap = ser::Impossible<Option<String>, Error>;
    type SerializeStruct = ser::Impossible<Option<String>, Error>;
    type SerializeStructVariant = ser::Impossible<Option<String>, Error>;

    fn serialize_str(self, value: &str) -> Result<Option<String>, Error> {
        Ok(Some(value.to_owned()))
    }
    not_str! {
        serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_f32: f32,
        serialize_f64: f64, serialize_char: char, serialize_bytes: &[u8],
        serialize_unit_struct: &'static str,
    }
    fn serialize_none(self) -> Result<Option<String>, Error> {
        Ok(None)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<Option<String>, Error> {
        Ok(None)
    }
    fn serialize_unit(self) -> Result<Option<String>, Error> {
        Ok(None)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<Option<String>, Error> {
        Ok(None)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<Option<String>, Error> {
        Ok(None)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Option<String>, Error> {
        Ok(None)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct, Error> {
        Err(not_a_key())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(not_a_key())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(not_a_key())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct, Error> {
        Err(not_a_key())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(not_a_key())
    }
}

fn not_a_key() -> Error {
    ser::Error::custom("key must be a string")
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use proptest::prelude::*;
    use serde::Serialize;
    use serde_json::{Map, Value, json};

    use super::*;

    /// How plans were rendered before streaming: the whole `Value`, its keys sorted, printed
    /// pretty. The streaming writer must give the same bytes.
    fn oracle<T: Serialize + ?Sized>(value: &T) -> String {
        fn sorted(value: Value) -> Value {
            match value {
                Value::Object(map) => {
                    let mut entries: Vec<(String, Value)> = map.into_iter().collect();
                    entries.sort_by(|a, b| a.0.cmp(&b.0));
                    Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
                }
                Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
                other => other,
            }
        }
        serde_json::to_string_pretty(&sorted(serde_json::to_value(value).unwrap())).unwrap()
    }

    fn streamed<T: Serialize + ?Sized>(value: &T) -> String {
        let mut out = Vec::new();
        write(value, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[derive(Serialize)]
    enum External {
        Unit,
        Newtype(Inner),
        Tuple(u8, Inner),
        Struct { zulu: u8, alpha: Vec<Inner> },
    }

    #[derive(Serialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Internal {
        Empty,
        Fields { zeta: bool, beta: Option<String> },
        Wrapped(Inner),
    }

    #[derive(Serialize, Clone)]
    struct Inner {
        z: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        m: Option<f64>,
        a: &'static str,
    }

    /// Fields declared out of order, a flattened internally tagged enum, every enum form, maps
    /// with unordered and non-string keys, and the scalars `to_value` converts.
    #[derive(Serialize)]
    struct Outer {
        version: u32,
        #[serde(rename = "Capital")]
        capital: (),
        nested: Vec<External>,
        hash: HashMap<String, Inner>,
        numbered: BTreeMap<u32, &'static str>,
        float32: f32,
        big: u128,
        letter: char,
        #[serde(with = "serde_bytes_like")]
        bytes: Vec<u8>,
        empty_map: BTreeMap<String, u8>,
        empty_list: Vec<u8>,
        text: String,
        #[serde(flatten)]
        internal: Internal,
        after_flatten: Option<Inner>,
    }

    /// Serialises through `serialize_bytes`, which `Vec<u8>` does not use on its own.
    mod serde_bytes_like {
        pub fn serialize<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_bytes(bytes)
        }
    }

    fn inner(z: i64) -> Inner {
        Inner {
            z,
            m: (z % 2 == 0).then_some(z as f64 / 3.0),
            a: "a\"b\\c\n\u{1}é😀",
        }
    }

    fn outer(internal: Internal) -> Outer {
        Outer {
            version: 1,
            capital: (),
            nested: vec![
                External::Unit,
                External::Newtype(inner(1)),
                External::Tuple(7, inner(2)),
                External::Struct {
                    zulu: 3,
                    alpha: vec![inner(3), inner(4)],
                },
            ],
            hash: (0..20).map(|i| (format!("key {i}"), inner(i))).collect(),
            numbered: [(10, "ten"), (9, "nine"), (100, "hundred")].into_iter().collect(),
            float32: 0.1,
            big: u128::from(u64::MAX),
            letter: 'x',
            bytes: vec![0, 1, 255],
            empty_map: BTreeMap::new(),
            empty_list: Vec::new(),
            text: "<tag> & 'quote'".into(),
            internal,
            after_flatten: Some(inner(5)),
        }
    }

    #[test]
    fn unordered_types_come_out_sorted_and_as_the_value_would() {
        for internal in [
            Internal::Empty,
            Internal::Fields {
                zeta: true,
                beta: None,
            },
            Internal::Wrapped(inner(8)),
        ] {
            let value = outer(internal);
            let text = streamed(&value);
            assert_eq!(text, oracle(&value));
            let parsed: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(parsed, serde_json::to_value(&value).unwrap());
        }
    }

    #[test]
    fn scalars_and_empty_containers_alone() {
        let values = [
            json!(null),
            json!(true),
            json!(-3),
            json!(1.5e300),
            json!("s"),
            json!([]),
            json!({}),
            json!([[], {}, [{}]]),
        ];
        for value in values {
            assert_eq!(streamed(&value), oracle(&value));
        }
        assert_eq!(streamed(&f64::NAN), oracle(&f64::NAN));
        assert_eq!(streamed(&Some(Some(3))), oracle(&Some(Some(3))));
    }

    #[test]
    fn a_key_twice_is_refused_not_written_twice() {
        struct Twice;
        impl Serialize for Twice {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(None)?;
                map.serialize_entry("b", &1)?;
                map.serialize_entry("a", &1)?;
                map.serialize_entry("b", &2)?;
                map.end()
            }
        }
        let error = write(&Twice, &mut Vec::new()).unwrap_err();
        assert!(error.to_string().contains("`b` appears twice"), "{error}");
    }

    #[test]
    fn a_value_that_changes_between_passes_is_an_error() {
        use std::cell::Cell;
        /// Out of order, so it is serialised more than once; the second time it has other keys.
        struct Fickle(Cell<u32>);
        impl Serialize for Fickle {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let calls = self.0.get();
                self.0.set(calls + 1);
                let mut map = serializer.serialize_map(None)?;
                if calls < 2 {
                    map.serialize_entry("b", &1)?;
                    map.serialize_entry("a", &1)?;
                }
                map.end()
            }
        }
        assert!(write(&Fickle(Cell::new(0)), &mut Vec::new()).is_err());
    }

    /// A map that serialises its entries in the order given (a `Map` would sort them).
    struct Shuffled(Vec<(String, Value)>);

    impl Serialize for Shuffled {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for (key, value) in &self.0 {
                map.serialize_entry(key, &Reordered(value))?;
            }
            map.end()
        }
    }

    /// A `Value` whose objects serialise their keys in reverse order.
    struct Reordered<'a>(&'a Value);

    impl Serialize for Reordered<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::{SerializeMap, SerializeSeq};
            match self.0 {
                Value::Object(map) => {
                    let mut out = serializer.serialize_map(Some(map.len()))?;
                    for (key, value) in map.iter().rev() {
                        out.serialize_entry(key, &Reordered(value))?;
                    }
                    out.end()
                }
                Value::Array(items) => {
                    let mut out = serializer.serialize_seq(Some(items.len()))?;
                    for item in items {
                        out.serialize_element(&Reordered(item))?;
                    }
                    out.end()
                }
                other => other.serialize(serializer),
            }
        }
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".{0,8}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((".{0,6}", inner), 0..6)
                    .prop_map(|entries| Value::Object(entries.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    proptest! {
        /// Any JSON, with every object's keys arriving in reverse and the top level's in an
        /// arbitrary order, comes out as the sorted `Value` prints.
        #[test]
        fn any_order_of_keys_gives_the_sorted_value(
            entries in prop::collection::vec((".{0,6}", json_value()), 0..8)
        ) {
            let mut seen = std::collections::BTreeSet::new();
            let entries: Vec<(String, Value)> =
                entries.into_iter().filter(|(key, _)| seen.insert(key.clone())).collect();
            let shuffled = Shuffled(entries.clone());
            let expected: Map<String, Value> = entries.into_iter().collect();
            prop_assert_eq!(streamed(&shuffled), oracle(&expected));
        }
    }
}
