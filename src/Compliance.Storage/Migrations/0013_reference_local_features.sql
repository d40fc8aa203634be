-- Local features of reference images (issue 10, ADR-016): ORB keypoints and their 256-bit descriptors, computed at
-- upload from the border-trimmed image, so that a copy filling only part of a picture (a screenshot, a
-- picture-in-picture) can be found and located. One bytea per reference (LocalFeatureSet's format: a small header,
-- the points, the descriptors; about 20 KiB for 500 keypoints) and the recipe that made it. References uploaded before
-- this migration, and bare hashes, have none and are matched by PDQ and embedding only.
alter table reference_images
    add column local_features bytea,
    add column local_features_version text,
    add constraint reference_images_local_features check ((local_features is null) = (local_features_version is null));
