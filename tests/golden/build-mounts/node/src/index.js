console.log("hello from index.js")
