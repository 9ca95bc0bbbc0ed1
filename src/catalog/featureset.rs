//! `FeatureSet`: a fixed-size bitset indexed by catalog position. Cheap to copy,
//! intersect and compare, so fleets of 100,000 hosts stay fast.

use super::table::TABLE;

/// A feature name the catalog does not know (in any spelling it accepts).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown CPU feature {0:?}: give the name the reports print (the Linux /proc/cpuinfo \
     spelling) or its QEMU, libvirt or VMware alias"
)]
pub struct UnknownFeature(pub String);

/// Index of a feature in the catalog table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FeatureId(pub(crate) u16);

impl FeatureId {
    /// The position of this feature in [`super::all`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

const WORDS: usize = TABLE.len().div_ceil(64);

/// A set of catalog features.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct FeatureSet {
    words: [u64; WORDS],
}

impl FeatureSet {
    /// The empty set.
    pub const fn new() -> FeatureSet {
        FeatureSet { words: [0; WORDS] }
    }

    /// Adds a feature.
    pub fn insert(&mut self, id: FeatureId) {
        self.words[id.index() / 64] |= 1u64 << (id.index() % 64);
    }

    /// Removes a feature.
    pub fn remove(&mut self, id: FeatureId) {
        self.words[id.index() / 64] &= !(1u64 << (id.index() % 64));
    }

    /// True when the feature is in the set.
    pub fn contains(&self, id: FeatureId) -> bool {
        self.words[id.index() / 64] & (1u64 << (id.index() % 64)) != 0
    }

    /// Features in both sets.
    pub fn intersection(&self, other: &FeatureSet) -> FeatureSet {
        let mut out = *self;
        for (a, b) in out.words.iter_mut().zip(other.words.iter()) {
            *a &= *b;
        }
        out
    }

    /// Features in either set.
    pub fn union(&self, other: &FeatureSet) -> FeatureSet {
        let mut out = *self;
        for (a, b) in out.words.iter_mut().zip(other.words.iter()) {
            *a |= *b;
        }
        out
    }

    /// Features in `self` but not in `other`.
    pub fn difference(&self, other: &FeatureSet) -> FeatureSet {
        let mut out = *self;
        for (a, b) in out.words.iter_mut().zip(other.words.iter()) {
            *a &= !*b;
        }
        out
    }

    /// True when every feature of `self` is in `other`.
    pub fn is_subset(&self, other: &FeatureSet) -> bool {
        self.words
            .iter()
            .zip(other.words.iter())
            .all(|(a, b)| a & !b == 0)
    }

    /// True when the set has no features.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }

    /// How many features the set holds.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// The features, in catalog order.
    pub fn iter(&self) -> impl Iterator<Item = FeatureId> + '_ {
        self.words.iter().enumerate().flat_map(|(wi, &w)| {
            (0..64)
                .filter(move |b| w & (1u64 << b) != 0)
                .map(move |b| FeatureId((wi * 64 + b) as u16))
        })
    }

    /// The set of the named features (any spelling `catalog::lookup` accepts).
    /// A name the catalog does not know is an error, never silently absent.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<FeatureSet, UnknownFeature> {
        names
            .iter()
            .map(|n| super::lookup(n.as_ref()).ok_or_else(|| UnknownFeature(n.as_ref().into())))
            .collect()
    }

    /// The canonical names of the features, in catalog order.
    pub fn names(&self) -> Vec<&'static str> {
        self.iter().map(|id| super::by_id(id).name).collect()
    }
}

impl std::fmt::Debug for FeatureSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.names()).finish()
    }
}

impl FromIterator<FeatureId> for FeatureSet {
    fn from_iter<T: IntoIterator<Item = FeatureId>>(iter: T) -> Self {
        let mut s = FeatureSet::new();
        for id in iter {
            s.insert(id);
        }
        s
    }
}
