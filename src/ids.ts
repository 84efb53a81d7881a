const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** 20 random alphanumerics (≈119 bits), like Firestore's auto ids; valid as an id on every vendor. */
export function generateId(length = 20): string {
  const bytes = new Uint8Array(length * 2)
  crypto.getRandomValues(bytes)
  let id = ''
  // Rejection sampling keeps the distribution uniform (256 is not a multiple of 62).
  for (let i = 0; i < bytes.length && id.length < length; i++) {
    const b = bytes[i]!
    if (b < 248) id += ALPHABET[b % 62]
  }
  return id.length === length ? id : id + generateId(length - id.length)
}
